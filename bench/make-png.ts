// Writes a valid PNG of an exact byte size (IHDR + IDAT + a padding ancillary chunk + IEND, real CRCs) for
// the upload benchmark. Usage: bun bench/make-png.ts OUT [BYTES=19922944] [WIDTH=1024] [HEIGHT=1024]
import { png } from "../tests/support/images.ts";

const [out, bytes = String(19 * 1024 * 1024), width = "1024", height = "1024"] = process.argv.slice(2);
if (!out) {
  console.error("usage: bun bench/make-png.ts OUT [BYTES] [WIDTH] [HEIGHT]");
  process.exit(2);
}
const data = png(Number(width), Number(height), Number(bytes));
await Bun.write(out, data);
console.log(`${out}: ${data.byteLength} bytes, ${width}x${height} PNG`);
