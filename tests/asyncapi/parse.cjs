// Parses AsyncAPI documents with @asyncapi/parser and prints their diagnostics as one JSON object.
// Usage: NODE_PATH=<dir holding the parser's node_modules> node parse.cjs DOCUMENT...
// CommonJS, because NODE_PATH is how the tests point Node at modules installed outside the checkout
// and ES module imports ignore it.
'use strict';

const path = require('node:path');
const { Parser, fromFile } = require('@asyncapi/parser');
const { version } = require('@asyncapi/parser/package.json');

// Spectral's DiagnosticSeverity: 0 error, 1 warning, 2 information, 3 hint.
const SEVERITIES = ['error', 'warning', 'information', 'hint'];

async function parse(parser, source) {
  // An absolute source lets the parser's file resolver follow the document's relative `$ref`s.
  const { document, diagnostics } = await fromFile(parser, path.resolve(source)).parse();
  return {
    parsed: document !== undefined,
    asyncapi: document === undefined ? null : document.version(),
    diagnostics: diagnostics.map((d) => ({
      severity: SEVERITIES[d.severity] ?? String(d.severity),
      code: d.code,
      message: d.message,
      path: d.path.join('/'),
      source: d.source ?? null,
      line: d.range.start.line + 1,
    })),
  };
}

async function main(sources) {
  if (sources.length === 0) {
    console.error('usage: node parse.cjs DOCUMENT...');
    return 2;
  }
  const parser = new Parser();
  const documents = {};
  for (const source of sources) {
    documents[source] = await parse(parser, source);
  }
  console.log(JSON.stringify({ parser: version, documents }, null, 2));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
