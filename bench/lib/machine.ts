import { cpus, totalmem, type as osType, release } from 'node:os';

export interface MachineInfo {
  os: string;
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  node: string;
  /** Filled once the browser is launched. */
  chromium?: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    os: `${osType()} ${release()}`,
    cpuModel: c[0]?.model ?? 'unknown',
    cpuCount: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}
