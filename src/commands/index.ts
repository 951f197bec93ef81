import type { Command } from './types.ts';
import { docker } from './docker.ts';
import { images } from './images.ts';

/** Every `lab` subcommand, in the order the help lists them. */
export const commands: Record<string, Command> = {
  docker,
  images,
};
