import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadModelConfig, parseHostList } from '../config.ts';

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

describe('loadModelConfig: workers and directory polling', () => {
  it('defaults to one process and a 2 s re-scan', () => {
    expect(loadModelConfig({}, '/srv')).toMatchObject({ modelsDir: '/srv/models', workers: 1, pollMs: 2000 });
  });

  it('reads BENCHTOP_WORKERS, BENCHTOP_MODELS_POLL_MS (0 = no polling) and BENCHTOP_INSTANCE', () => {
    expect(
      loadModelConfig(
        { BENCHTOP_WORKERS: '2', BENCHTOP_MODELS_POLL_MS: '0', BENCHTOP_INSTANCE: 'node-a' },
        '/srv',
      ),
    ).toMatchObject({ workers: 2, pollMs: 0, instance: 'node-a' });
  });

  it('gives each process the cores beyond its own as explanation threads, at most 4, unless set', () => {
    const threads = (env: Record<string, string>, cores: number) =>
      loadModelConfig(env, '/srv', cores).explainThreads;
    expect(threads({}, 1)).toBe(0);
    expect(threads({}, 2)).toBe(1);
    expect(threads({}, 4)).toBe(3);
    expect(threads({}, 32)).toBe(4);
    expect(threads({ BENCHTOP_WORKERS: '2' }, 2)).toBe(0);
    expect(threads({ BENCHTOP_WORKERS: '2' }, 8)).toBe(3);
    expect(threads({ BENCHTOP_EXPLAIN_THREADS: '0' }, 8)).toBe(0);
    expect(threads({ BENCHTOP_EXPLAIN_THREADS: '6', BENCHTOP_WORKERS: '4' }, 2)).toBe(6);
  });

  it.each([
    ['BENCHTOP_WORKERS', '0'],
    ['BENCHTOP_WORKERS', 'two'],
    ['BENCHTOP_WORKERS', '1.5'],
    ['BENCHTOP_WORKERS', '65'],
    ['BENCHTOP_MODELS_POLL_MS', '-1'],
    ['BENCHTOP_MODELS_POLL_MS', '2s'],
    ['BENCHTOP_INSTANCE', 'Node A'],
    ['BENCHTOP_EXPLAIN_THREADS', '-1'],
    ['BENCHTOP_EXPLAIN_THREADS', '65'],
    ['BENCHTOP_EXPLAIN_THREADS', 'auto'],
  ])('refuses %s=%s by name', (name, value) => {
    expect(() => loadModelConfig({ [name]: value }, '/srv')).toThrow(ConfigError);
    expect(() => loadModelConfig({ [name]: value }, '/srv')).toThrow(name);
  });
});
