/**
 * The exit-code holder the commands share. It lives apart from main.ts so that command modules
 * never import the program that imports them (no import cycle).
 */

/** Commands set `exitCode` through this holder instead of exiting the process. */
export interface ExitCode {
  code: number;
}
