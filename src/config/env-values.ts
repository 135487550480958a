/** The readers of single environment values that every part of the configuration shares; each error names its variable. */
import { parseDuration, type Duration } from '../model/index.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A setting that stops start-up; the message names the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** An http(s) URL without credentials, query or fragment, with no trailing slash. */
export function httpUrl(env: Env, name: string, fallback: string): string {
  const text = env[name] || fallback;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(name, `is not a URL such as ${fallback}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `must be http:// or https://, not ${url.protocol}//`);
  if (url.username !== '' || url.password !== '') throw new ConfigError(name, 'must not carry credentials');
  if (url.search !== '' || url.hash !== '') throw new ConfigError(name, 'must not have a query or fragment');
  return url.href.replace(/\/$/, '');
}

/** Node fires a timer set past 2^31-1 ms after 1 ms (TimeoutOverflowWarning): no timer setting may reach it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration setting that feeds a timer, in milliseconds, from `min` to
 * `max` (duration literals, `max` at most 2^31-1 ms); outside them start-up
 * stops naming the variable and the bounds.
 */
export function millis(env: Env, name: string, fallback: string, min = '1ms', max = '1h'): number {
  const ms = Number(duration(env, name, fallback).ns / 1_000_000n);
  const [lo, hi] = [min, max].map((b) => Number(parseDuration(b, name).ns / 1_000_000n)) as [number, number];
  if (hi > MAX_TIMER_MS) throw new Error(`${name}: a bound of ${max} is past what a timer can wait`);
  if (ms < lo || ms > hi) throw new ConfigError(name, `"${env[name]}" must be from ${min} to ${max}`);
  return ms;
}

export function optional(env: Env, name: string): string | null {
  const text = env[name];
  return text === undefined || text === '' ? null : text;
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(name, `"${text}" is not true or false`);
}

export function duration(env: Env, name: string, fallback: string): Duration {
  try {
    return parseDuration(env[name] ?? fallback, name);
  } catch (e) {
    throw new ConfigError(name, `"${env[name]}" is not a duration such as 30s, 15m, 24h or 7d`);
  }
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]+$/.test(text) || +text < min || +text > max) {
    throw new ConfigError(name, `"${text}" is not an integer from ${min} to ${max}`);
  }
  return +text;
}

export function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!(values as readonly string[]).includes(text)) {
    throw new ConfigError(name, `"${text}" is not one of ${values.join(', ')}`);
  }
  return text as T;
}

export function nonEmpty(env: Env, name: string, fallback: string): string {
  const text = env[name];
  if (text === undefined) return fallback;
  if (text.trim() === '') throw new ConfigError(name, 'must not be empty');
  return text;
}
