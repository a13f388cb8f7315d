// Unit tests for src/config/pbtxt.ts: the schema-free protobuf text format parser.

import { integerFromText, parsePbtxt, PbtxtSyntaxError, type PbMessage, type PbValue } from '../../src/config/pbtxt';

/** The tree without positions, for compact assertions. */
function plain(msg: PbMessage): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [name, values] of msg.fields) out[name] = values.map(plainValue);
  return out;
}

function plainValue(v: PbValue): unknown {
  switch (v.kind) {
    case 'message':
      return plain(v.value);
    case 'number':
      return { n: v.value, text: v.text };
    case 'identifier':
      return { id: v.value };
    case 'string':
      return v.value;
  }
}

function syntaxError(text: string): PbtxtSyntaxError {
  try {
    parsePbtxt(text);
  } catch (e) {
    expect(e).toBeInstanceOf(PbtxtSyntaxError);
    return e as PbtxtSyntaxError;
  }
  throw new Error(`no syntax error for ${JSON.stringify(text)}`);
}

describe('parsePbtxt', () => {
  it("parses Triton's `simple` model config", () => {
    const tree = parsePbtxt(`
name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "INPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
`);
    expect(plain(tree)).toEqual({
      name: ['simple'],
      platform: ['onnxruntime_onnx'],
      max_batch_size: [{ n: 8, text: '8' }],
      input: [
        { name: ['INPUT0'], data_type: [{ id: 'TYPE_INT32' }], dims: [{ n: 16, text: '16' }] },
        { name: ['INPUT1'], data_type: [{ id: 'TYPE_INT32' }], dims: [{ n: 16, text: '16' }] },
      ],
      output: [{ name: ['OUTPUT0'], data_type: [{ id: 'TYPE_INT32' }], dims: [{ n: 16, text: '16' }] }],
    });
  });

  it('keeps positions and source order', () => {
    const tree = parsePbtxt('a: 1\n  b { c: 2 }\na: 3');
    expect(tree.entries.map((e) => [e.name, e.line, e.col])).toEqual([
      ['a', 1, 1],
      ['b', 2, 3],
      ['a', 3, 1],
    ]);
    const b = tree.fields.get('b')![0];
    expect([b.kind, b.line, b.col]).toEqual(['message', 2, 5]);
    expect(tree.positions.get('a')).toEqual({ line: 1, col: 1 });
    const a = tree.fields.get('a')!;
    expect(a.map((v) => [v.line, v.col])).toEqual([
      [1, 4],
      [3, 4],
    ]);
  });

  it('accepts every message syntax: `{}`, `: {}`, `<>`, `: <>`', () => {
    const tree = parsePbtxt('a { x: 1 } b: { x: 2 } c < x: 3 > d: < x: 4 >');
    expect(plain(tree)).toEqual({
      a: [{ x: [{ n: 1, text: '1' }] }],
      b: [{ x: [{ n: 2, text: '2' }] }],
      c: [{ x: [{ n: 3, text: '3' }] }],
      d: [{ x: [{ n: 4, text: '4' }] }],
    });
  });

  it('merges repeated entries and lists in order; empty lists give a present, empty field', () => {
    const tree = parsePbtxt('dims: 1 dims: [2, 3] dims: 4\ninput [ { n: 1 }, < n: 2 > ]\ninput: [{ n: 3 }]\nempty: []\nm []');
    const f = plain(tree);
    expect(f.dims).toEqual([1, 2, 3, 4].map((n) => ({ n, text: String(n) })));
    expect(f.input).toEqual([1, 2, 3].map((n) => ({ n: [{ n, text: String(n) }] })));
    expect(f.empty).toEqual([]);
    expect(f.m).toEqual([]);
  });

  it('accepts optional `,` and `;` separators', () => {
    const tree = parsePbtxt('a: 1, b: 2; c { d: "x"; e: y, }');
    expect(plain(tree)).toEqual({
      a: [{ n: 1, text: '1' }],
      b: [{ n: 2, text: '2' }],
      c: [{ d: ['x'], e: [{ id: 'y' }] }],
    });
  });

  it('skips comments everywhere', () => {
    const tree = parsePbtxt('# header\na: 1 # trailing\n# between\nb: [ # in list\n 2, # after element\n 3 ]\ns: "# not a comment"\n#end');
    expect(plain(tree)).toEqual({
      a: [{ n: 1, text: '1' }],
      b: [
        { n: 2, text: '2' },
        { n: 3, text: '3' },
      ],
      s: ['# not a comment'],
    });
  });

  it('decodes C escapes in double- and single-quoted strings', () => {
    const tree = parsePbtxt(String.raw`a: "t\tn\nr\rq\"s\'b\\" b: 'it\'s "x"' c: "\101\x42\x4a\060\0" d: "\a\b\f\v\?" e: "\u00e9\U0001F600"`);
    expect(plain(tree)).toEqual({
      a: ['t\tn\nr\rq"s\'b\\'],
      b: ['it\'s "x"'],
      c: ['ABJ0\0'],
      d: ['\x07\b\f\v?'],
      e: ['é😀'],
    });
  });

  it('decodes escaped UTF-8 bytes and keeps raw non-ASCII text', () => {
    const tree = parsePbtxt(String.raw`a: "\303\251" b: "\xc3\xa9" c: "héllo ✓"`);
    expect(plain(tree)).toEqual({ a: ['é'], b: ['é'], c: ['héllo ✓'] });
  });

  it('concatenates adjacent strings, across lines and quote styles', () => {
    const tree = parsePbtxt('a: "ab" \'cd\'\n   "ef" b: "x"');
    expect(plain(tree)).toEqual({ a: ['abcdef'], b: ['x'] });
  });

  it('parses signed ints, hex, octal, floats, inf and nan, keeping the source text', () => {
    const tree = parsePbtxt(
      'a: -1 b: 0x1F c: -0X10 d: 017 e: 1.5 f: 1e-3 g: -2.5E+2 h: .5 i: 2.f j: inf k: -Infinity l: nan m: 0 n: 9223372036854775807',
    );
    const f = plain(tree);
    expect(f.a).toEqual([{ n: -1, text: '-1' }]);
    expect(f.b).toEqual([{ n: 31, text: '0x1F' }]);
    expect(f.c).toEqual([{ n: -16, text: '-0X10' }]);
    expect(f.d).toEqual([{ n: 15, text: '017' }]);
    expect(f.e).toEqual([{ n: 1.5, text: '1.5' }]);
    expect(f.f).toEqual([{ n: 0.001, text: '1e-3' }]);
    expect(f.g).toEqual([{ n: -250, text: '-2.5E+2' }]);
    expect(f.h).toEqual([{ n: 0.5, text: '.5' }]);
    expect(f.i).toEqual([{ n: 2, text: '2.f' }]);
    expect(f.j).toEqual([{ n: Infinity, text: 'inf' }]);
    expect(f.k).toEqual([{ n: -Infinity, text: '-Infinity' }]);
    expect((f.l[0] as { n: number }).n).toBeNaN();
    expect(f.m).toEqual([{ n: 0, text: '0' }]);
    expect(f.n).toEqual([{ n: 9223372036854775807, text: '9223372036854775807' }]);
    expect(integerFromText('9223372036854775807')).toBe(9223372036854775807n);
  });

  it('parses identifiers: enums and booleans', () => {
    expect(plain(parsePbtxt('kind: KIND_GPU ok: true no: false'))).toEqual({
      kind: [{ id: 'KIND_GPU' }],
      ok: [{ id: 'true' }],
      no: [{ id: 'false' }],
    });
  });

  it('parses an empty file and a BOM', () => {
    expect(parsePbtxt('').entries).toEqual([]);
    expect(parsePbtxt('  # only a comment\n').entries).toEqual([]);
    expect(plain(parsePbtxt('\uFEFFa: 1'))).toEqual({ a: [{ n: 1, text: '1' }] });
  });

  it('counts lines across CRLF', () => {
    expect(syntaxError('a: 1\r\nb: 2\r\n  }').message).toBe("config.pbtxt:3:3: expected a field name got '}'");
  });
});

describe('integerFromText', () => {
  it('reads decimal, hex and octal integers exactly', () => {
    expect(integerFromText('0')).toBe(0n);
    expect(integerFromText('-42')).toBe(-42n);
    expect(integerFromText('0xff')).toBe(255n);
    expect(integerFromText('-0x10')).toBe(-16n);
    expect(integerFromText('017')).toBe(15n);
    expect(integerFromText('18446744073709551615')).toBe(18446744073709551615n);
  });

  it('returns null for non-integers', () => {
    for (const t of ['1.5', '1e3', '1.', 'inf', '-nan', '2f', '']) expect(integerFromText(t)).toBeNull();
  });
});

describe('parsePbtxt errors', () => {
  const cases: Array<[string, string]> = [
    ['name "x"', `config.pbtxt:1:6: expected ':', '{' or '[' after field 'name' got string "x"`],
    ['a: [1 2]', `config.pbtxt:1:7: expected ',' or ']' in the list of field 'a' got number 2`],
    ['a: [1,]', `config.pbtxt:1:7: expected a value got ']'`],
    ['a: [[1]]', `config.pbtxt:1:5: expected a value got '['`],
    ['a [1]', `config.pbtxt:1:4: expected '{' or '<' got number 1`],
    ['a: "x', `config.pbtxt:1:4: expected closing " got end of input`],
    ['a: "x\ny"', `config.pbtxt:1:4: expected closing " got end of line`],
    ['a {\n b: 1', `config.pbtxt:2:6: expected a field name or '}' got end of input`],
    ['a < b: 1 }', `config.pbtxt:1:10: expected a field name or '>' got '}'`],
    ['}', `config.pbtxt:1:1: expected a field name got '}'`],
    ['a:', `config.pbtxt:1:3: expected a value got end of input`],
    ['a: :', `config.pbtxt:1:4: expected a value got ':'`],
    ['a: -foo', `config.pbtxt:1:5: expected a number after '-' got 'foo'`],
    ['a: 08', 'config.pbtxt:1:4: expected an octal number (leading 0) got 08'],
    ['a: 1x', 'config.pbtxt:1:4: expected a number got "1x"'],
    ['a: 0xg', 'config.pbtxt:1:4: expected a number got "0x"'],
    ['a: 1.5.2', 'config.pbtxt:1:4: expected a number got "1.5."'],
    ['a: "\\q"', String.raw`config.pbtxt:1:5: expected an escape (\n \t \\ \" \' \NNN \xNN …) got \q`],
    ['a: "\\x"', String.raw`config.pbtxt:1:5: expected hex digits after \x got none`],
    ['a: "\\400"', String.raw`config.pbtxt:1:5: expected an octal escape up to \377 got \400`],
    ['a: "\\u12"', String.raw`config.pbtxt:1:5: expected 4 hex digits after \u got "12\""`],
    ['a: "\\uD800"', String.raw`config.pbtxt:1:5: expected a Unicode scalar value got \uD800`],
    ['a: 1 @', 'config.pbtxt:1:6: expected a field name, value or punctuation got unexpected character "@"'],
    ['1: 2', 'config.pbtxt:1:1: expected a field name got number 1'],
    ['"a": 2', 'config.pbtxt:1:1: expected a field name got string "a"'],
  ];
  it.each(cases)('%j → %s', (text, message) => {
    const err = syntaxError(text);
    expect(err.message).toBe(message);
  });

  it('names the source and carries line and col', () => {
    let err: unknown;
    try {
      parsePbtxt('a: 1\nb: }', 'models/m/config.pbtxt');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PbtxtSyntaxError);
    const e = err as PbtxtSyntaxError;
    expect([e.source, e.line, e.col]).toEqual(['models/m/config.pbtxt', 2, 4]);
    expect(e.message).toBe("models/m/config.pbtxt:2:4: expected a value got '}'");
  });
});
