/**
 * Splits a JSON asset body into its base64 `file` member and everything else, in one pass over the bytes as they
 * arrive (SPEC.md §3.3 uploads: the file is streamed, never whole in memory). Pure: no I/O.
 *
 * The `file` member of the root object is recognised (its key decoded, escapes and all); the text of its string
 * value goes to `fileText` (JSON escapes resolved: `\/`, and `\n`, `\r`, `\t` as whitespace the base64 decoder
 * skips); every other byte goes to `residual`, with the file's value replaced by `null`. The residual is then
 * parsed and checked like any JSON body (charset, UTF-8, depth, syntax), so a malformed document still fails
 * there: the splitter only has to find strings, nesting and the root object's keys. It also records the root
 * object's `id` string when it comes before the file, so a POST can name the object it streams into.
 */
export interface SplitterSink {
  /** Bytes of the document without the file's value (in order). */
  residual(bytes: Buffer): void;
  /** The file member's value starts (once). */
  fileStart(): void;
  /** A run of the file's base64 text. */
  fileText(text: Buffer): void;
  /** The file's string value ended. */
  fileEnd(): void;
}

/** Thrown when the body cannot carry a streamed file (a second `file`, a bad escape in it). */
export class SplitterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitterError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Longest key recorded (raw bytes): longer keys cannot be `file`. */
const MAX_KEY_BYTES = 64;
/** Longest `id` value recorded (raw bytes, quotes included). */
const MAX_ID_BYTES = 2048;
const NULL = Buffer.from('null');

export class JsonUploadSplitter {
  private depth = 0;
  private rootIsObject = false;
  private inString = false;
  private escape = false;
  /** At depth 1: the next string is a key. */
  private expectKey = false;
  /** The string being read is a key of the root object. */
  private readingKey = false;
  private key: number[] = [];
  private keyTooLong = false;
  /** The last key of the root object read, decoded (while its value is pending). */
  private pendingKey: string | undefined;
  /** After the `:` of a `file` key, before its value. */
  private awaitingFileValue = false;
  private inFile = false;
  private fileEscape: number[] | undefined;
  private files = 0;
  /** After the `:` of an `id` key, before its value. */
  private awaitingIdValue = false;
  /** Raw bytes of the root object's `id` string while it is read. */
  private idBytes: number[] | undefined;
  /** The root object's `id` (a string), once read, when it came before the end. */
  id: string | undefined;

  constructor(private readonly sink: SplitterSink) {}

  /** True once a file value started. */
  get sawFile(): boolean {
    return this.files > 0;
  }

  /** Feeds the next bytes. @throws SplitterError */
  write(chunk: Buffer): void {
    let from = 0; // start of the current residual (or file) run
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inFile) {
        if (this.fileEscape) {
          this.fileEscape.push(c);
          const done = this.fileEscapeDone();
          if (done !== undefined) {
            if (done) this.sink.fileText(done);
            this.fileEscape = undefined;
            from = i + 1;
          }
          continue;
        }
        if (c === BACKSLASH) {
          if (i > from) this.sink.fileText(chunk.subarray(from, i));
          this.fileEscape = [];
          continue;
        }
        if (c === QUOTE) {
          if (i > from) this.sink.fileText(chunk.subarray(from, i));
          this.inFile = false;
          this.sink.fileEnd();
          from = i + 1;
        }
        continue;
      }
      if (this.inString) {
        if (this.readingKey) {
          if (this.key.length < MAX_KEY_BYTES) this.key.push(c);
          else this.keyTooLong = true;
        }
        if (this.idBytes && this.idBytes.length <= MAX_ID_BYTES) this.idBytes.push(c);
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.readingKey) this.endKey();
          if (this.idBytes) this.endId();
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (this.awaitingIdValue) {
        this.awaitingIdValue = false;
        if (c === QUOTE) this.idBytes = [QUOTE];
      }
      if (this.awaitingFileValue) {
        this.awaitingFileValue = false;
        if (c === QUOTE) {
          if (this.files++ > 0) throw new SplitterError('the body has more than one "file" member');
          if (i > from) this.sink.residual(chunk.subarray(from, i));
          this.sink.residual(NULL);
          this.sink.fileStart();
          this.inFile = true;
          from = i + 1;
          continue;
        }
      }
      switch (c) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1 && this.rootIsObject && this.expectKey) {
            this.readingKey = true;
            this.key = [QUOTE];
            this.keyTooLong = false;
          }
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          if (this.depth === 0) this.rootIsObject = c === OPEN_OBJECT;
          this.depth++;
          if (this.depth === 1) this.expectKey = this.rootIsObject;
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.depth--;
          break;
        case COMMA:
          if (this.depth === 1 && this.rootIsObject) this.expectKey = true;
          break;
        case COLON:
          if (this.depth === 1 && this.rootIsObject && this.pendingKey !== undefined) {
            this.awaitingFileValue = this.pendingKey === 'file';
            this.awaitingIdValue = this.pendingKey === 'id';
            this.pendingKey = undefined;
          }
          break;
        default:
          break;
      }
    }
    if (this.inFile) {
      if (!this.fileEscape && chunk.length > from) this.sink.fileText(chunk.subarray(from));
    } else if (chunk.length > from) this.sink.residual(chunk.subarray(from));
  }

  /** The body ended. @throws SplitterError when it ended inside the file's value. */
  end(): void {
    if (this.inFile) throw new SplitterError('the body ends inside the "file" string');
  }

  private endKey(): void {
    this.readingKey = false;
    this.expectKey = false;
    this.pendingKey = undefined;
    if (this.keyTooLong) return;
    try {
      const key: unknown = JSON.parse(Buffer.from(this.key).toString('utf8'));
      this.pendingKey = typeof key === 'string' ? key : undefined;
    } catch {
      this.pendingKey = undefined; // the residual's parse reports the syntax error
    }
  }

  private endId(): void {
    const raw = this.idBytes!;
    this.idBytes = undefined;
    if (raw.length > MAX_ID_BYTES) return;
    try {
      const id: unknown = JSON.parse(Buffer.from(raw).toString('utf8'));
      if (typeof id === 'string') this.id = id;
    } catch {
      // the residual's parse reports it
    }
  }

  /**
   * The bytes an escape inside the file's value stands for once complete (empty for whitespace), or undefined
   * while incomplete (`\u` needs 4 hex digits). @throws SplitterError for escapes base64 cannot contain.
   */
  private fileEscapeDone(): Buffer | undefined {
    const e = this.fileEscape!;
    const first = e[0];
    if (first === 0x2f) return Buffer.from('/');
    if (first === 0x6e || first === 0x72 || first === 0x74) return Buffer.alloc(0); // \n \r \t
    if (first === 0x75) {
      if (e.length < 5) return undefined;
      const code = parseInt(Buffer.from(e.slice(1)).toString('latin1'), 16);
      if (
        !Number.isNaN(code) &&
        code < 0x80 &&
        /^[0-9A-Fa-f]{4}$/.test(Buffer.from(e.slice(1)).toString('latin1'))
      )
        return Buffer.from([code]);
    }
    throw new SplitterError(
      'file is not valid base64: an escape in its string stands for no base64 character',
    );
  }
}
