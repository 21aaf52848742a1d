// ipx (https://github.com/unjs/ipx, sharp + libvips) behind Node's own HTTP server, for
// bench/peers.sh. Run from the directory ipx was installed into (ESM resolves packages from
// the script's own folder, so peers.sh copies this file there):
//
//   node peers_ipx.mjs <port> <originals dir> [<AVIF effort, default 2> [defaults]]
//
// URLs are ipx's: /w_<W>,q_<Q>,f_<jpeg|webp|avif>/<file name>.
//
// Set like imgorigin, so that both do the same work (ipx's defaults differ; see
// docs/benchmarks.md): libvips cache off and one libvips thread per image (parallelism
// comes from concurrent requests); baseline rather than progressive JPEG; AVIF at the
// server's effort with 4:2:0 chroma; and shrink-on-load that leaves a factor of two for
// the final resize, as libvips' thumbnail does (sharp's fastShrinkOnLoad decodes JPEGs at
// up to twice the reduction, cheaper and a little sharper, with some moiré). ipx applies
// sharpOptions to every image before its resize and format options, which set only what
// a URL names (width, quality), so these stay in force. With "defaults", ipx and sharp run
// as they come.
import { createServer } from "node:http";
import sharp from "sharp";
import { createIPX, createIPXNodeServer, ipxFSStorage } from "ipx";

const [port, dir, effort = "2", mode = "matched"] = process.argv.slice(2);
if (!port || !dir || !["matched", "defaults"].includes(mode)) {
  console.error("usage: node peers_ipx.mjs <port> <originals dir> [<AVIF effort> [defaults]]");
  process.exit(2);
}

const options = { storage: ipxFSStorage({ dir }) };
if (mode === "matched") {
  sharp.cache(false);
  sharp.concurrency(1);
  options.sharpOptions = {
    jpegProgressive: false,
    heifEffort: Number(effort),
    heifChromaSubsampling: "4:2:0",
    fastShrinkOnLoad: false,
  };
}

createServer(createIPXNodeServer(createIPX(options))).listen(Number(port), "127.0.0.1", () => {
  const v = sharp.versions;
  console.log(`ipx (${mode}) on 127.0.0.1:${port}: sharp ${v.sharp}, libvips ${v.vips}, aom ${v.aom}, ` +
    `libwebp ${v.webp}, mozjpeg ${v.mozjpeg}, libheif ${v.heif}; libvips threads per image ` +
    `${sharp.concurrency()}`);
});
