// Protobuf TEXT FORMAT parser (what Triton's config.pbtxt is), schema-free: it turns text into a generic
// tree of messages, fields and scalar values with their source positions. Mapping that tree onto
// inferd's ModelConfig is model-config-parse.ts's job.

export interface PbPosition {
  line: number;
  col: number;
}

export type PbValue = PbPosition &
  (
    | { kind: 'string'; value: string }
    /** `text` is the source spelling, sign included (`-0x10`, `1e-3`, `inf`), so int64 can be parsed exactly. */
    | { kind: 'number'; value: number; text: string }
    /** Enum names and `true` / `false`. */
    | { kind: 'identifier'; value: string }
    | { kind: 'message'; value: PbMessage }
  );

export interface PbEntry extends PbPosition {
  /** Field name; line/col are the name's position. */
  name: string;
  value: PbValue;
}

export interface PbMessage {
  /** Every field occurrence in source order (a list `f: [a, b]` gives one entry per element). */
  entries: PbEntry[];
  /** Field name → its values in source order. A name given as an empty list (`dims: []`) maps to []. */
  fields: Map<string, PbValue[]>;
  /** Field name → where it first occurs. */
  positions: Map<string, PbPosition>;
}

export class PbtxtSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly col: number,
    detail: string,
  ) {
    super(`${source}:${line}:${col}: ${detail}`);
    this.name = 'PbtxtSyntaxError';
  }
}

type Token = PbPosition &
  (
    | { type: 'ident'; text: string }
    | { type: 'number'; text: string }
    | { type: 'string'; text: string; value: string }
    | { type: 'symbol'; text: string }
    | { type: 'eof'; text: '' }
  );

const SYMBOLS = '{}<>[]:,;-';
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const HEX = /0[xX][0-9a-fA-F]+/y;
const DECIMAL = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?/y;
const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63,
};
const FLOAT_WORDS = /^(inf|infinity|nan)$/i;

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {
    if (text.startsWith('\uFEFF')) this.pos = this.lineStart = 1;
  }

  fail(at: PbPosition, detail: string): never {
    throw new PbtxtSyntaxError(this.source, at.line, at.col, detail);
  }

  next(): Token {
    this.skipSpaceAndComments();
    const at = { line: this.line, col: this.pos - this.lineStart + 1 };
    const c = this.text[this.pos];
    if (c === undefined) return { ...at, type: 'eof', text: '' };
    if (c === '"' || c === "'") return { ...at, type: 'string', ...this.readString(at) };
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(this.text[this.pos + 1] ?? ''))) {
      return { ...at, type: 'number', text: this.readNumber(at) };
    }
    const ident = this.match(IDENT);
    if (ident !== null) return { ...at, type: 'ident', text: ident };
    if (SYMBOLS.includes(c)) {
      this.pos++;
      return { ...at, type: 'symbol', text: c };
    }
    this.fail(at, `expected a field name, value or punctuation got unexpected character ${JSON.stringify(c)}`);
  }

  private match(re: RegExp): string | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m === null) return null;
    this.pos += m[0].length;
    return m[0];
  }

  private skipSpaceAndComments(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === '\n') {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else {
        return;
      }
    }
  }

  private readNumber(at: PbPosition): string {
    const text = this.match(HEX) ?? (this.match(DECIMAL) as string);
    const after = this.text[this.pos] ?? '';
    if (/[A-Za-z0-9_.]/.test(after)) {
      this.fail(at, `expected a number got ${JSON.stringify(text + after)}`);
    }
    if (/^0[0-9]+$/.test(text) && !/^0[0-7]+$/.test(text)) {
      this.fail(at, `expected an octal number (leading 0) got ${text}`);
    }
    return text;
  }

  /** Reads one quoted string; escapes may produce raw bytes, so it collects UTF-8 bytes and decodes once. */
  private readString(at: PbPosition): { text: string; value: string } {
    const start = this.pos;
    const quote = this.text[this.pos++];
    const bytes: number[] = [];
    const pushText = (s: string): void => {
      for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
    };
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.fail(at, `expected closing ${quote} got ${c === undefined ? 'end of input' : 'end of line'}`);
      this.pos++;
      if (c === quote) break;
      if (c !== '\\') {
        pushText(c);
        continue;
      }
      const e = this.text[this.pos++] ?? '';
      const escAt = { line: this.line, col: this.pos - this.lineStart - 1 };
      if (SIMPLE_ESCAPES[e] !== undefined) {
        bytes.push(SIMPLE_ESCAPES[e]);
      } else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(this.text[this.pos] ?? '')) digits += this.text[this.pos++];
        const v = parseInt(digits, 8);
        if (v > 255) this.fail(escAt, `expected an octal escape up to \\377 got \\${digits}`);
        bytes.push(v);
      } else if (e === 'x' || e === 'X') {
        let digits = '';
        while (digits.length < 2 && /[0-9a-fA-F]/.test(this.text[this.pos] ?? '')) digits += this.text[this.pos++];
        if (digits === '') this.fail(escAt, 'expected hex digits after \\x got none');
        bytes.push(parseInt(digits, 16));
      } else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const digits = this.text.slice(this.pos, this.pos + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) this.fail(escAt, `expected ${n} hex digits after \\${e} got ${JSON.stringify(digits)}`);
        const cp = parseInt(digits, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) this.fail(escAt, `expected a Unicode scalar value got \\${e}${digits}`);
        this.pos += n;
        pushText(String.fromCodePoint(cp));
      } else {
        this.fail(escAt, `expected an escape (\\n \\t \\\\ \\" \\' \\NNN \\xNN …) got \\${e}`);
      }
    }
    return { text: this.text.slice(start, this.pos), value: Buffer.from(bytes).toString('utf8') };
  }
}

function describe(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of input';
    case 'ident':
      return `'${t.text}'`;
    case 'number':
      return `number ${t.text}`;
    case 'string':
      return `string ${t.text}`;
    case 'symbol':
      return `'${t.text}'`;
  }
}

class Parser {
  private tok: Token;

  constructor(private readonly lexer: Lexer) {
    this.tok = lexer.next();
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lexer.next();
    return t;
  }

  private isSymbol(s: string): boolean {
    return this.tok.type === 'symbol' && this.tok.text === s;
  }

  private expectSymbol(s: string, what = `'${s}'`): void {
    if (!this.isSymbol(s)) this.fail(what);
    this.advance();
  }

  private fail(expected: string): never {
    this.lexer.fail(this.tok, `expected ${expected} got ${describe(this.tok)}`);
  }

  /** Fields up to `end` ('}' / '>') or end of input (end === null). */
  parseMessage(end: string | null): PbMessage {
    const msg: PbMessage = { entries: [], fields: new Map(), positions: new Map() };
    for (;;) {
      if (end === null ? this.tok.type === 'eof' : this.isSymbol(end)) return msg;
      if (this.tok.type !== 'ident') this.fail(end === null ? 'a field name' : `a field name or '${end}'`);
      this.parseField(msg);
      if (this.isSymbol(',') || this.isSymbol(';')) this.advance();
    }
  }

  private parseField(msg: PbMessage): void {
    const nameTok = this.advance();
    const name = nameTok.text;
    const add = (value: PbValue): void => {
      msg.entries.push({ name, line: nameTok.line, col: nameTok.col, value });
      msg.fields.get(name)!.push(value);
    };
    if (!msg.fields.has(name)) {
      msg.fields.set(name, []);
      msg.positions.set(name, { line: nameTok.line, col: nameTok.col });
    }

    const colon = this.isSymbol(':');
    if (colon) this.advance();
    if (this.isSymbol('{') || this.isSymbol('<')) {
      add(this.parseNestedMessage());
    } else if (this.isSymbol('[')) {
      this.advance();
      if (this.isSymbol(']')) {
        this.advance();
        return;
      }
      for (;;) {
        add(colon ? this.parseValue() : this.parseNestedMessage());
        if (this.isSymbol(']')) break;
        this.expectSymbol(',', `',' or ']' in the list of field '${name}'`);
      }
      this.advance();
    } else if (colon) {
      add(this.parseValue());
    } else {
      this.fail(`':', '{' or '[' after field '${name}'`);
    }
  }

  private parseNestedMessage(): PbValue {
    const open = this.tok;
    if (!this.isSymbol('{') && !this.isSymbol('<')) this.fail("'{' or '<'");
    this.advance();
    const close = open.text === '{' ? '}' : '>';
    const value = this.parseMessage(close);
    this.advance();
    return { kind: 'message', value, line: open.line, col: open.col };
  }

  /** A scalar or a message (list elements and `name: value`). */
  private parseValue(): PbValue {
    const t = this.tok;
    if (this.isSymbol('{') || this.isSymbol('<')) return this.parseNestedMessage();
    if (this.isSymbol('-')) {
      this.advance();
      const n = this.tok;
      if (n.type === 'number' || (n.type === 'ident' && FLOAT_WORDS.test(n.text))) {
        this.advance();
        return { kind: 'number', text: `-${n.text}`, value: -numberValue(n.text), line: t.line, col: t.col };
      }
      this.fail("a number after '-'");
    }
    if (t.type === 'string') {
      this.advance();
      let value = t.value;
      for (let next = this.tok; next.type === 'string'; next = this.tok) {
        value += next.value;
        this.advance();
      }
      return { kind: 'string', value, line: t.line, col: t.col };
    }
    if (t.type === 'number' || (t.type === 'ident' && FLOAT_WORDS.test(t.text))) {
      this.advance();
      return { kind: 'number', text: t.text, value: numberValue(t.text), line: t.line, col: t.col };
    }
    if (t.type === 'ident') {
      this.advance();
      return { kind: 'identifier', value: t.text, line: t.line, col: t.col };
    }
    this.fail('a value');
  }
}

function numberValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (/^0x/.test(lower)) return parseInt(lower.slice(2), 16);
  if (/^0[0-7]+$/.test(lower)) return parseInt(lower, 8);
  return Number(lower.replace(/f$/, ''));
}

/**
 * The exact integer a number's source text spells (`-12`, `0x1F`, `017`), or null if it is not an
 * integer (`1.5`, `1e3`, `inf`).
 */
export function integerFromText(text: string): bigint | null {
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m === null) return null;
  const digits = m[2];
  const magnitude = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return m[1] === '-' ? -magnitude : magnitude;
}

/** Parses protobuf text format into a generic tree. Throws PbtxtSyntaxError (`SOURCE:LINE:COL: expected … got …`). */
export function parsePbtxt(text: string, source = 'config.pbtxt'): PbMessage {
  return new Parser(new Lexer(text, source)).parseMessage(null);
}
