// downscale shrinks a photo on the phone before it is sent: at most
// maxEdge pixels on its longer side, JPEG. A 12-megapixel camera photo
// becomes a few hundred KB instead of several MB on a slow uplink. The
// cell still makes its own 3G/4G variants.
export async function downscale(file: Blob, maxEdge = 1600, quality = 0.82): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  try {
    const scale = Math.min(1, maxEdge / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    if (!ctx) return file;
    ctx.drawImage(bitmap, 0, 0, w, h);
    const out = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    // Keep the original when re-encoding would not make it smaller.
    return out && out.size < file.size ? out : file;
  } finally {
    bitmap.close();
  }
}
