// Prints the size of every built file and the total, raw and gzip-compressed (what a browser downloads).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
};
walk(dist);
let raw = 0;
let gz = 0;
for (const path of files.sort()) {
  const data = readFileSync(path);
  const zipped = gzipSync(data).length;
  raw += data.length;
  gz += zipped;
  console.log(`  ${path.slice(dist.length).padEnd(40)} ${(data.length / 1024).toFixed(1).padStart(8)} KiB  gzip ${(zipped / 1024).toFixed(1).padStart(7)} KiB`);
}
console.log(`[dougal] office page bundle: ${files.length} files, ${(raw / 1024).toFixed(1)} KiB (gzip ${(gz / 1024).toFixed(1)} KiB)`);
