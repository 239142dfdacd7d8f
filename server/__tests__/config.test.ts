import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseHostList } from '../config.ts';

describe('loadConfig', () => {
  it('has loopback defaults', () => {
    expect(loadConfig([], {}, '/srv/app')).toEqual({
      host: '127.0.0.1',
      port: 8787,
      distDir: '/srv/app/dist',
      allowedHosts: [],
    });
  });

  it('reads the environment', () => {
    const c = loadConfig(
      [],
      { HOST: '0.0.0.0', PORT: '9000', BENCHTOP_DIST: 'build', BENCHTOP_ALLOWED_HOSTS: ' A.lan, b.lan:80 ,' },
      '/x',
    );
    expect(c).toEqual({
      host: '0.0.0.0',
      port: 9000,
      distDir: '/x/build',
      allowedHosts: ['a.lan', 'b.lan:80'],
    });
  });

  it('lets flags override the environment', () => {
    expect(loadConfig(['--port', '0', '--host=::1'], { PORT: '9000', HOST: '0.0.0.0' })).toMatchObject({
      host: '::1',
      port: 0,
    });
  });

  it.each([['--port', 'abc'], ['--port=70000'], ['--port=1e3'], ['--port'], ['--verbose'], ['--host']])(
    'rejects %j',
    (...argv) => {
      expect(() => loadConfig(argv, {})).toThrow(ConfigError);
    },
  );

  it('rejects a bad PORT', () => {
    expect(() => loadConfig([], { PORT: '-1' })).toThrow(/PORT/);
  });

  it('parses host lists', () => {
    expect(parseHostList(undefined)).toEqual([]);
    expect(parseHostList('a,,B')).toEqual(['a', 'b']);
  });
});
