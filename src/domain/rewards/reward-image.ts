/**
 * A reward's picture, as the catalogue shows it. Only raster formats every browser shows are taken, and the
 * bytes must be what the Content-Type says: an SVG (which can carry script) or a file with a misleading type
 * never reaches a member's page. The size cap keeps a catalogue page light and the database small.
 */
export const rewardImageTypes = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
export type RewardImageType = (typeof rewardImageTypes)[number];

export const maxRewardImageBytes = 512 * 1024;

export function isRewardImageType(value: string): value is RewardImageType {
  return (rewardImageTypes as readonly string[]).includes(value);
}

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

/** The image format the bytes are, by their signature ("magic number"), or null when none of ours. */
export function sniffImageType(bytes: Uint8Array): RewardImageType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'image/gif';
  // RIFF....WEBP
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return null;
}
