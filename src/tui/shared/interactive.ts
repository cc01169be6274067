/**
 * Ink renders only the final frame when it believes it runs in CI (`CI` or
 * `CONTINUOUS_INTEGRATION` set, as is-in-ci reads them when Ink is first loaded). A view on a real
 * terminal has a person in front of it whatever the environment says, so the commands call this
 * before they load Ink: a tail or dashboard run from a CI job's shell, or by a user who exports
 * CI, must still move. This module must not import Ink itself.
 */
export function renderLiveInCi(): void {
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) {
    if (name in process.env) process.env[name] = 'false'
  }
}
