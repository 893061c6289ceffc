// What a file is, from its first bytes (not its name): the upload page refuses a file that is
// no audio or video format before a byte is sent (a text file renamed .mp4 is caught here).

/** The container a file's first bytes announce, or null when none we know. */
export function sniff(b: Uint8Array): string | null {
  const at = (i: number, ...xs: number[]) => xs.every((x, j) => b[i + j] === x);
  const ascii = (i: number, s: string) => [...s].every((c, j) => b[i + j] === c.charCodeAt(0));
  if (b.length < 4) return null;
  if (ascii(4, "ftyp")) return ascii(8, "qt") ? "QuickTime" : "MP4";
  if (ascii(4, "moov") || ascii(4, "mdat") || ascii(4, "wide") || ascii(4, "free")) return "QuickTime";
  if (at(0, 0x06, 0x0e, 0x2b, 0x34)) return "MXF";
  if (at(0, 0x1a, 0x45, 0xdf, 0xa3)) return "Matroska/WebM";
  if (at(0, 0x00, 0x00, 0x01, 0xba)) return "MPEG-PS";
  if (b[0] === 0x47 && (b.length < 189 || b[188] === 0x47)) return "MPEG-TS";
  if (ascii(0, "RIFF")) return ascii(8, "WAVE") ? "WAV" : ascii(8, "AVI ") ? "AVI" : "RIFF";
  if (ascii(0, "FORM") && ascii(8, "AIF")) return "AIFF";
  if (ascii(0, "fLaC")) return "FLAC";
  if (ascii(0, "OggS")) return "Ogg";
  if (ascii(0, "ID3")) return "MP3";
  if (ascii(0, "FLV")) return "FLV";
  if (at(0, 0x30, 0x26, 0xb2, 0x75)) return "ASF/WMV";
  if (b[0] === 0xff && ((b[1] ?? 0) & 0xf6) === 0xf0) return "AAC";
  if (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0) return "MP3";
  return null;
}

/** The first 512 bytes of `f` (MPEG-TS needs its second sync byte at 188). */
export async function head(f: File): Promise<Uint8Array> {
  return new Uint8Array(await f.slice(0, 512).arrayBuffer());
}
