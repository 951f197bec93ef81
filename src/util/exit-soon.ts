// Once a command has returned, nothing may keep the process alive (a background import, a socket, a request a
// slow server never answered: a replay with users' traffic once printed its report and then hung on its open
// connections, holding the lab's lock). The command has finished or undone what it began, so what is left is
// not waited for beyond a short grace. Under LAB_DEBUG the leftovers are named, so a leak is still seen.

/** Ends the process with `code` after `graceMs` unless it ended by itself first (the timer is unref'd). */
export function exitSoon(code: number, graceMs = 3000): void {
  setTimeout(() => {
    if (process.env.LAB_DEBUG) process.stderr.write(`(exiting with ${JSON.stringify(lingering())} still open)\n`);
    process.exit(code);
  }, graceMs).unref();
}

/** What keeps the event loop alive, by kind (Timeout, TCPSocketWrap...), for the debug line above. */
export function lingering(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}
