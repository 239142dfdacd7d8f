import { describe, expect, it } from 'vitest';
import {
  describeMismatch,
  describeRename,
  type FileIdentity,
  formatBytes,
  sameContent,
  sha256Hex,
} from '../hash.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', async () => {
    expect(await sha256Hex(utf8('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await sha256Hex(new Uint8Array(0))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(await sha256Hex(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(await sha256Hex(new Uint8Array(1_000_000).fill(0x61))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('hashes UTF-8 bytes, not characters', async () => {
    expect(await sha256Hex(utf8('é€😀'))).toBe(
      'df9226927fd572c1ee66eec85de1bb139497614899f36e4e90474cb71f6ef9d0',
    );
  });

  it('hashes only the view, not the whole underlying buffer', async () => {
    const buf = utf8('xxabcxx');
    expect(await sha256Hex(buf.subarray(2, 5))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('accepts a view over a SharedArrayBuffer', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(3));
    shared.set(utf8('abc'));
    expect(await sha256Hex(shared)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('returns 64 lower-case hex digits', async () => {
    expect(await sha256Hex(utf8('anything'))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('describeMismatch', () => {
  const expected: FileIdentity = {
    name: 'orders.csv',
    size: 1_234_567,
    sha256: 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12',
  };

  it('returns null for the same file', () => {
    expect(describeMismatch(expected, { ...expected })).toBeNull();
  });

  it('ignores the case of the hex digits', () => {
    expect(describeMismatch(expected, { ...expected, sha256: expected.sha256.toUpperCase() })).toBeNull();
  });

  it('accepts the same content under another name', () => {
    expect(describeMismatch(expected, { ...expected, name: 'orders (1).csv' })).toBeNull();
    expect(sameContent(expected, { ...expected, name: 'orders (1).csv' })).toBe(true);
  });

  it('describes a different file: names, exact sizes with separators and short hashes', () => {
    const actual: FileIdentity = {
      name: 'orders.csv',
      size: 1_200_000,
      sha256: 'cd34ef5600000000000000000000000000000000000000000000000000000000',
    };
    expect(describeMismatch(expected, actual)).toBe(
      'This is not the file the notebook was made with: ' +
        'expected orders.csv, 1,234,567 bytes, SHA-256 ab12cd34…; ' +
        'got orders.csv, 1,200,000 bytes, SHA-256 cd34ef56…. ' +
        'Drop the original file, or change the data source to use this one.',
    );
  });

  it('rejects the same size with a different hash (an edited cell, same length)', () => {
    const msg = describeMismatch(expected, { ...expected, sha256: 'ff'.repeat(32) });
    expect(msg).toContain('expected orders.csv, 1,234,567 bytes, SHA-256 ab12cd34…');
    expect(msg).toContain('got orders.csv, 1,234,567 bytes, SHA-256 ffffffff…');
  });

  it('rejects the same hash with a different size (a corrupt reference)', () => {
    expect(describeMismatch(expected, { ...expected, size: 1 })).toContain(
      'got orders.csv, 1 byte, SHA-256 ab12cd34…',
    );
  });
});

describe('describeRename', () => {
  const a: FileIdentity = { name: 'orders.csv', size: 3, sha256: 'ab'.repeat(32) };

  it('notes a renamed file with the same content', () => {
    expect(describeRename(a, { ...a, name: 'orders (1).csv' })).toBe(
      'The notebook was made with orders.csv; orders (1).csv has the same content, so it is used instead.',
    );
  });

  it('says nothing when the name matches or the content differs', () => {
    expect(describeRename(a, { ...a })).toBeNull();
    expect(describeRename(a, { ...a, name: 'x.csv', size: 4 })).toBeNull();
  });
});

describe('formatBytes', () => {
  it('writes exact counts with thousands separators', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(1_234_567)).toBe('1,234,567 bytes');
    expect(formatBytes(10_000_000_000)).toBe('10,000,000,000 bytes');
  });
});
