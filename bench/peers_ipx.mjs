// ipx (https://github.com/unjs/ipx, sharp + libvips) behind Node's own HTTP server, for
// bench/peers.sh. Run from the directory ipx was installed into (ESM resolves packages from
// the script's own folder, so peers.sh copies this file there):
//
//   node peers_ipx.mjs <port> <originals dir> [<AVIF effort, default 2>]
//
// URLs are ipx's: /w_<W>,q_<Q>,f_<jpeg|webp|avif>/<file name>.
//
// Set like imgorigin, so that both do the same work (ipx's defaults differ; see
// docs/benchmarks.md): libvips cache off and one libvips thread per image (parallelism
// comes from concurrent requests), baseline rather than progressive JPEG, AVIF at the
// server's effort with 4:2:0 chroma. ipx applies sharpOptions to every image before its
// format options, which set only what a URL names (quality), so these stay in force.
import { createServer } from "node:http";
import sharp from "sharp";
import { createIPX, createIPXNodeServer, ipxFSStorage } from "ipx";

const [port, dir, effort = "2"] = process.argv.slice(2);
if (!port || !dir) {
  console.error("usage: node peers_ipx.mjs <port> <originals dir> [<AVIF effort>]");
  process.exit(2);
}

sharp.cache(false);
sharp.concurrency(1);

const ipx = createIPX({
  storage: ipxFSStorage({ dir }),
  sharpOptions: { jpegProgressive: false, heifEffort: Number(effort), heifChromaSubsampling: "4:2:0" },
});

createServer(createIPXNodeServer(ipx)).listen(Number(port), "127.0.0.1", () => {
  const v = sharp.versions;
  console.log(`ipx on 127.0.0.1:${port}: sharp ${v.sharp}, libvips ${v.vips}, aom ${v.aom}, ` +
    `libwebp ${v.webp}, mozjpeg ${v.mozjpeg}, libheif ${v.heif}`);
});
