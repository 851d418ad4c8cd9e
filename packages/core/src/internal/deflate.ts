/**
 * Raw DEFLATE (RFC 1951) of cookie plaintexts, before encryption. Two codecs with one output:
 * the Web-standard `CompressionStream`/`DecompressionStream` ("deflate-raw"), present on Node,
 * Bun, Deno and Workers, and `node:zlib`'s synchronous functions where that module loads (Node,
 * Bun, Deno). On Node 20 the streams cost about 0.4 ms per 5 KB session each way (a stream, its
 * reader and several promises per call); `inflateRawSync` about a tenth of that, which matters on
 * a path that runs on every request. Both codecs bound the inflated size, so a token that
 * inflates past the cap (a decompression bomb) is refused, not expanded.
 *
 * @internal
 */

/** Compresses and inflates; `inflate` gives `undefined` for anything that is not raw DEFLATE within `maxLength` bytes. */
export interface Deflate {
  readonly deflate: (input: Uint8Array) => Promise<Uint8Array>
  readonly inflate: (input: Uint8Array, maxLength: number) => Promise<Uint8Array | undefined>
}

const concat = (chunks: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Runs `input` through a (de)compression stream, stopping as soon as the output passes `maxLength`. */
const transform = async (
  stream: CompressionStream | DecompressionStream,
  input: Uint8Array,
  maxLength: number
): Promise<Uint8Array | undefined> => {
  const writer = stream.writable.getWriter()
  // Errors surface on the reader; these two promises only need a handler.
  writer.write(input as Uint8Array<ArrayBuffer>).catch(() => undefined)
  writer.close().catch(() => undefined)
  const reader = stream.readable.getReader()
  const chunks: Array<Uint8Array> = []
  let length = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return concat(chunks, length)
      length += value.byteLength
      if (length > maxLength) {
        await reader.cancel().catch(() => undefined)
        return undefined
      }
      chunks.push(value)
    }
  } catch {
    return undefined
  }
}

/** The Web-standard codec (`CompressionStream`), for runtimes without `node:zlib`. */
export const webStreams: Deflate = {
  deflate: (input) =>
    transform(new CompressionStream("deflate-raw"), input, Number.POSITIVE_INFINITY).then((out) => {
      if (out === undefined) throw new Error("deflate-raw failed")
      return out
    }),
  inflate: (input, maxLength) => transform(new DecompressionStream("deflate-raw"), input, maxLength)
}

interface Zlib {
  readonly deflateRawSync: (input: Uint8Array, options: { readonly chunkSize: number }) => Uint8Array
  readonly inflateRawSync: (input: Uint8Array, options: { readonly maxOutputLength: number; readonly chunkSize: number }) => Uint8Array
}

/** zlib's smallest output chunk. */
const MIN_CHUNK = 64
/**
 * Output buffer sizes for one call: zlib allocates `chunkSize` bytes up front (16 KiB by default)
 * and adds chunks past it. A deflate is kept only when smaller than its input, so the input's
 * length always suffices; session JSON inflates to about 2-3 times its deflated size, so four
 * times is one chunk in the common case. Both are results, not limits: more output still comes
 * out whole, and the cap on inflating is `maxOutputLength`.
 */
const deflateChunk = (input: Uint8Array): number => Math.max(MIN_CHUNK, input.length)
const inflateChunk = (input: Uint8Array): number => Math.min(64 * 1024, Math.max(1024, input.length * 4))

/**
 * The `node:zlib` codec (synchronous, so one call and no stream per token). Its `Buffer`s are
 * `Uint8Array` views of zlib's own output memory (never Node's shared pool), passed on as they
 * are: WebCrypto and `TextDecoder` read a view's bytes only, and a copy per call would only add
 * garbage on every request.
 */
export const fromZlib = (zlib: Zlib): Deflate => ({
  deflate: (input) => Promise.resolve(zlib.deflateRawSync(input, { chunkSize: deflateChunk(input) })),
  inflate: (input, maxLength) => {
    try {
      // maxOutputLength makes zlib stop (RangeError) once the output would pass the cap.
      return Promise.resolve(zlib.inflateRawSync(input, { maxOutputLength: Math.max(1, maxLength), chunkSize: inflateChunk(input) }))
    } catch {
      return Promise.resolve(undefined)
    }
  }
})

/**
 * The fastest codec this runtime has: `node:zlib` when it loads, else the Web streams. The
 * specifier is a variable so that bundlers for Workers and browsers leave the import alone.
 */
export const load = async (): Promise<Deflate> => {
  const specifier = "node:zlib"
  try {
    const zlib = (await import(/* @vite-ignore */ specifier)) as Partial<Zlib>
    if (typeof zlib.deflateRawSync === "function" && typeof zlib.inflateRawSync === "function") {
      return fromZlib(zlib as Zlib)
    }
  } catch {
    // not Node-compatible: the Web streams below
  }
  return webStreams
}
