// Real animated GIFs from photos, for bench/animation.sh: each frame a window of the photo
// (a camera panning across it and slowly zooming in), assembled by sharp into one animated
// GIF (cgif, libimagequant palette per frame, sharp's defaults otherwise) with a delay for
// every frame and loop 0 (for ever). Run from the directory sharp was installed into (ESM
// resolves packages from the script's own folder, so animation.sh copies this file there):
//
//   node animation_make.mjs <photo> <width> <height> <frames> <delay ms> <out.gif>
//
// Prints "bytes=<size> frames=<frames>".
import { writeFileSync } from "node:fs";
import sharp from "sharp";

const [photo, w, h, n, delay, out] = process.argv.slice(2);
const width = Number(w), height = Number(h), frames = Number(n), delayMs = Number(delay);
if (!out || ![width, height, frames, delayMs].every((v) => Number.isInteger(v) && v > 0)) {
  console.error("usage: node animation_make.mjs <photo> <width> <height> <frames> <delay ms> <out.gif>");
  process.exit(2);
}

sharp.concurrency(1);
// The photo decoded once, upright (as its EXIF says) and shrunk so that the largest window
// is about twice the frame's size: every frame is then cut from memory.
const aspect = width / height;
const meta = (await sharp(photo).metadata()).autoOrient; // width and height once upright
const scale = Math.min(1, (2 * height) / (0.8 * Math.min(meta.height, meta.width / aspect)));
const { data, info } = await sharp(photo).rotate()
  .resize(Math.round(meta.width * scale), Math.round(meta.height * scale))
  .removeAlpha().raw().toBuffer({ resolveWithObject: true });
const pw = info.width, ph = info.height;
const source = sharp(data, { raw: { width: pw, height: ph, channels: 3 } });
// The window: the output's aspect ratio, 80% of the photo's height (or width) at the first
// frame, 65% at the last; it travels from the left edge to the right and drifts down a little.
const full = Math.min(ph, pw / aspect);
const pixels = [];
for (let i = 0; i < frames; i++) {
  const t = frames === 1 ? 0 : i / (frames - 1);
  const wh = Math.round(full * (0.8 - 0.15 * t));
  const ww = Math.round(wh * aspect);
  const left = Math.round((pw - ww) * t);
  const top = Math.round((ph - wh) * (0.3 + 0.4 * t));
  const frame = await source.clone()
    .extract({ left, top, width: ww, height: wh })
    .resize(width, height, { fit: "fill" })
    .removeAlpha()
    .raw()
    .toBuffer();
  pixels.push(frame);
}
const gif = await sharp(Buffer.concat(pixels), {
  raw: { width, height: height * frames, channels: 3, pageHeight: height },
})
  .gif({ loop: 0, delay: Array(frames).fill(delayMs) })
  .toBuffer();
writeFileSync(out, gif);
console.log(`bytes=${gif.length} frames=${frames}`);
