#!/usr/bin/env node
// Parses PowerShell files with the tree-sitter PowerShell grammar (WASM) and lists every ERROR and MISSING node:
// .ps1, .psm1 and .psd1 files, and the <ScriptBlock> elements of .ps1xml format and type files.
// Usage: node check-powershell.js [file-or-directory...]   (default: the repository root)
// Exit code: 0 when every file parses, 1 on any syntax error, 2 when the tool itself cannot run.
'use strict';

const fs = require('fs');
const path = require('path');
const v8 = require('v8');

// The baseline WASM compiler is plenty for a few files; without this V8 optimizes the 1 MB grammar in the background
// and the process lingers about 8 s before it exits.
v8.setFlagsFromString('--liftoff-only');

const repositoryRoot = path.resolve(__dirname, '..', '..');
const powerShellExtensions = new Set(['.ps1', '.psm1', '.psd1', '.ps1xml']);
// out/ is the build's copy of module/ and the manifest.
const skippedDirectories = new Set(['.git', 'node_modules', 'bin', 'obj', 'out', 'TestResults']);

function findPowerShellFiles(start, found) {
    const stat = fs.statSync(start);
    if (stat.isFile()) {
        found.push(start);
        return found;
    }
    for (const entry of fs.readdirSync(start, { withFileTypes: true })) {
        const full = path.join(start, entry.name);
        if (entry.isDirectory()) {
            if (!skippedDirectories.has(entry.name)) findPowerShellFiles(full, found);
        } else if (powerShellExtensions.has(path.extname(entry.name).toLowerCase())) {
            found.push(full);
        }
    }
    return found;
}

// Yields every ERROR or MISSING node; an ERROR's children are not searched (the outermost error says where).
function* syntaxErrors(node) {
    if (node.type === 'ERROR' || node.isMissing) {
        yield node;
        return;
    }
    if (!node.hasError) return;
    for (const child of node.children) yield* syntaxErrors(child);
}

// Valid PowerShell that the grammar (tree-sitter-powershell 0.26.4) rejects. Each is rewritten in place to an
// equivalent the grammar accepts, keeping every line and column, before parsing; nothing else is excused.
// A bareword is turned into a quoted string of the same length: the syntax is what is checked, not the value.
const quoteInPlace = word => `'${word.slice(1, -1).replace(/'/g, '_')}'`;
const bareword = String.raw`[A-Za-z0-9_][\w\-./*?]*`;
const listItem = String.raw`(?:'[^'\r\n]*'|"[^"\r\n]*"|\$[A-Za-z_][\w:]*|${bareword})`;
const grammarGaps = [
    {
        // [DscResource()] class X { ... }: the grammar has no attributes on a class statement.
        construct: 'attribute on a class statement',
        pattern: /^([ \t]*)\[[A-Za-z]\w*\([^()\r\n]*\)\]([ \t]*)(?=\r?\n[ \t]*class\s)/gim,
        rewrite: match => ' '.repeat(match.length),
    },
    {
        // 1MB: PowerShell's multiplier suffixes are case-insensitive; the grammar knows only kb, mb, gb, tb, pb.
        construct: 'upper-case numeric multiplier',
        pattern: /\b(0x[0-9a-f]+|[0-9]+)(kb|mb|gb|tb|pb)\b/gi,
        rewrite: match => match.toLowerCase(),
    },
    {
        // [System.Security.Cryptography.ECCurve+NamedCurves]: a nested type; the grammar knows only dotted names.
        construct: 'nested type name with +',
        pattern: /(?<=\[[A-Za-z_][\w.]*)\+(?=[A-Za-z_]\w*[\],\[])/g,
        rewrite: () => '.',
    },
    {
        // & $timeout --kill-after=5 ...: a native GNU-style option with a value, one generic token in PowerShell.
        construct: 'native --option=value argument',
        pattern: /(?<=[ \t])--[A-Za-z][\w-]*=[^\s'"`$(){};|&]+/g,
        rewrite: quoteInPlace,
    },
    {
        // $IsWindows ? 'pwsh.exe' : 'pwsh': PowerShell 7's ternary operator, unknown to the grammar; rewritten to the
        // binary expression $IsWindows + 'pwsh.exe' + 'pwsh' (blanks around ? and : as PowerShell requires).
        construct: 'ternary operator ? :',
        pattern: /(?<=[\w)\]'"])[ \t]\?[ \t](?=\S)[^\r\n#]*?(?<=[\w)\]'"])[ \t]:[ \t](?=\S)/g,
        rewrite: match => match.replace(/^([ \t])\?/, '$1+').replace(/([ \t]):([ \t])$/, '$1+$2'),
    },
    {
        // $a ?? 'b' and $a ??= 1: PowerShell 7's null-coalescing operators, unknown to the grammar.
        construct: 'null-coalescing operator ?? or ??=',
        pattern: /(?<=\s)\?\?=?(?=\s)/g,
        rewrite: match => (match === '??' ? '+ ' : '+= '),
    },
    {
        // -Id be-g1, be-missing, 'zz*': a parameter argument that is a list with barewords; the grammar takes only
        // expressions after a comma and no bareword before one.
        construct: 'bareword list as a parameter argument',
        pattern: new RegExp(String.raw`(?<=[ \t]-[A-Za-z]\w*[ \t]+)${listItem}(?:[ \t]*,[ \t]*${listItem})+(?=[\s;)}|]|$)`, 'gm'),
        rewrite: list => list.replace(new RegExp(String.raw`'[^']*'|"[^"]*"|\$[A-Za-z_][\w:]*|${bareword}`, 'g'),
            item => (/^['"$]/.test(item) || item.length < 2 ? item : quoteInPlace(item))),
    },
];

function bridgeGrammarGaps(text, used) {
    for (const gap of grammarGaps) {
        text = text.replace(gap.pattern, match => {
            const rewritten = gap.rewrite(match);
            if (rewritten.length !== match.length) throw new Error(`rewrite of '${gap.construct}' changed a length`);
            if (rewritten !== match) used.set(gap.construct, (used.get(gap.construct) ?? 0) + 1);
            return rewritten;
        });
    }
    return text;
}

async function loadParser() {
    const { Parser, Language } = require('web-tree-sitter');
    await Parser.init();
    const grammar = require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
    const language = await Language.load(grammar);
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
}

function describe(node, lines, origin) {
    const { row, column } = node.startPosition;
    const kind = node.isMissing ? `MISSING ${node.type}` : 'ERROR';
    return {
        line: origin.line + row,
        column: (row === 0 ? origin.column : 1) + column,
        kind,
        source: (lines[row] ?? '').replace(/\s+$/, ''),
    };
}

const xmlEntities = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

// The PowerShell pieces of a file with where each starts (1-based line and column of the file).
function powerShellPieces(file, text) {
    if (!/\.ps1xml(\.sample)?$/i.test(file)) return [{ text, origin: { line: 1, column: 1 } }];
    const pieces = [];
    for (const match of text.matchAll(/<ScriptBlock>([\s\S]*?)<\/ScriptBlock>/g)) {
        const start = match.index + '<ScriptBlock>'.length;
        const before = text.slice(0, start).split('\n');
        pieces.push({
            text: match[1].replace(/&(lt|gt|amp|quot|apos);/g, (_, name) => xmlEntities[name]),
            origin: { line: before.length, column: before[before.length - 1].length + 1 },
        });
    }
    return pieces;
}

async function main() {
    let parser;
    try {
        parser = await loadParser();
    } catch (error) {
        console.error(`error: cannot load the tree-sitter PowerShell grammar (run: npm install --no-package-lock --prefix tests/lint): ${error.message}`);
        return 2;
    }
    // --raw parses the files as they are (shows what the grammar alone rejects).
    const rawMode = process.argv.includes('--raw');
    const paths = process.argv.slice(2).filter(argument => argument !== '--raw');
    const starts = paths.length > 0 ? paths.map(p => path.resolve(p)) : [repositoryRoot];
    const bridged = new Map();
    const files = starts.flatMap(start => findPowerShellFiles(start, [])).sort();
    let errorCount = 0;
    for (const file of files) {
        // PowerShell reads a UTF-8 byte order mark as whitespace; the grammar does not.
        const shown = path.relative(process.cwd(), file) || file;
        const fileText = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
        for (const { text, origin } of powerShellPieces(file, fileText)) {
            const lines = text.split(/\r?\n/);
            const tree = parser.parse(rawMode ? text : bridgeGrammarGaps(text, bridged));
            for (const node of syntaxErrors(tree.rootNode)) {
                const error = describe(node, lines, origin);
                errorCount++;
                console.log(`${shown}:${error.line}:${error.column}: ${error.kind}`);
                console.log(`    ${error.source}`);
            }
            tree.delete();
        }
    }
    for (const [construct, count] of bridged) console.log(`grammar gap bridged: ${construct} (${count}x)`);
    console.log(`${files.length} PowerShell files parsed, ${errorCount} syntax errors`);
    parser.delete();
    return errorCount === 0 ? 0 : 1;
}

main().then(code => { process.exitCode = code; }, error => { console.error(error); process.exitCode = 2; });
