import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type {
  DispatchName as ClientDispatchName,
  Presence,
  ReactionEvent,
  VoiceServerUpdate,
} from '../../client/src/gateway.js';
import { Intents } from '../../client/src/index.js';
import type {
  DispatchName as ServerDispatchName,
  PresenceObject,
  ReactionEvent as ServerReactionEvent,
} from '../../shared/events/index.js';
import { Intent } from '../../shared/intents.js';
import type { VoiceServerUpdate as ServerVoiceServerUpdate } from '../../shared/voice-chat/types.js';

// The SDK may not import shared/, so the gateway's protocol types are written out in client/src:
// these type-level checks (run by `npm run typecheck`) fail when the server's change and the SDK's
// do not. `true` only compiles where both sides are the same type.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const protocolTypesAgree: [
  Same<ClientDispatchName, ServerDispatchName>,
  Same<Presence, PresenceObject>,
  Same<ReactionEvent, ServerReactionEvent>,
  Same<VoiceServerUpdate, ServerVoiceServerUpdate>,
] = [true, true, true, true];

const root = path.resolve(import.meta.dirname, '../..');

describe('the generated SDK', () => {
  it('is what npm run generate:sdk writes from the current routes (regenerate after changing one)', () => {
    const run = spawnSync('npx', ['--no-install', 'tsx', 'scripts/generate-sdk.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(`${run.stdout}${run.stderr}`).toContain('client/src/generated is up to date');
    expect(run.status).toBe(0);
  }, 300_000);

  it("has the server's gateway intents and protocol types", () => {
    expect(Intents).toEqual(Intent);
    expect(protocolTypesAgree).toEqual([true, true, true, true]);
  });
});
