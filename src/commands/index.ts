import type { Command } from './types.ts';
import { docker } from './docker.ts';
import { images } from './images.ts';
import { healCommand } from './heal.ts';
import { replayCommand } from './replay.ts';
import { matrixCommand } from './matrix.ts';
import { downCommand, statusCommand, upCommand } from './cluster.ts';
import { reportCommand } from './report.ts';
import { compareCommand } from './compare.ts';
import { validateCommand } from './validate.ts';
import { exportCommand } from './export.ts';
import { phantomCommand } from './phantom.ts';

/** Every `lab` subcommand, in the order the help lists them. */
export const commands: Record<string, Command> = {
  docker,
  images,
  up: upCommand,
  validate: validateCommand,
  replay: replayCommand,
  matrix: matrixCommand,
  status: statusCommand,
  heal: healCommand,
  down: downCommand,
  report: reportCommand,
  compare: compareCommand,
  export: exportCommand,
  phantom: phantomCommand,
};
