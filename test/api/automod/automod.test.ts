import { SYSTEM_USER_ID } from '../../../shared/messages/system-messages.js';
import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import {
  addChannel,
  as,
  denyIn,
  makeRole,
  makeWorld,
  member,
  type Person,
  type World,
} from '../messages/pipeline-helpers.js';

const app = useTestApp({ gateway: false }, 60_000);

/** A server with one member and the given rule. */
async function serverWithRule(rule: Record<string, unknown>) {
  const w = await makeWorld(app);
  const alice = await member(app, w.serverId);
  const res = await as(app, w.owner, 'POST', `/servers/${w.serverId}/automod/rules`, {
    name: 'rule',
    actions: [{ type: 'block' }],
    ...rule,
  });
  if (res.status !== 201) throw new Error(`rule: ${res.status} ${JSON.stringify(res.body)}`);
  return { w, alice, rule: res.body as { id: string } };
}

const send = (who: Person, channelId: string, content: string) =>
  as(app, who, 'POST', `/channels/${channelId}/messages`, { content });

async function history(w: World, channelId = w.channelId): Promise<{ content: string; type: string }[]> {
  const res = await as(app, w.owner, 'GET', `/channels/${channelId}/messages?limit=100`);
  return res.body as { content: string; type: string }[];
}

/** The channel's AutoMod alerts, once `count` have arrived (alerts are posted by the worker). */
async function alertsIn(w: World, channelId: string, count = 1) {
  let alerts: { content: string; type: string; author_id: string }[] = [];
  for (let i = 0; i < 50 && alerts.length < count; i++) {
    alerts = (await history(w, channelId)).filter((m) => m.type === 'automod_alert') as typeof alerts;
    if (alerts.length < count) await new Promise((r) => setTimeout(r, 100));
  }
  expect(alerts).toHaveLength(count);
  return alerts.reverse();
}

function expectBlocked(res: { status: number; body: { code: string; errors: Record<string, string> } }) {
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('automod_blocked');
  expect(res.body.errors.content).toMatch(/rule "rule"/);
}

describe('rules', () => {
  it('are managed with MANAGE_SERVER, and bad fields are named', async () => {
    const w = await makeWorld(app);
    const alice = await member(app, w.serverId);
    const path = `/servers/${w.serverId}/automod/rules`;
    const base = {
      name: 'x',
      trigger_type: 'keyword',
      trigger: { keywords: ['a'] },
      actions: [{ type: 'block' }],
    };
    expect((await as(app, alice, 'POST', path, base)).status).toBe(403);
    expect((await as(app, alice, 'GET', path)).status).toBe(403);

    const backref = await as(app, w.owner, 'POST', path, {
      ...base,
      trigger_type: 'regex',
      trigger: { patterns: ['ok', '(a)\\1'] },
    });
    expect([backref.status, Object.keys(backref.body.errors)]).toEqual([400, ['trigger.patterns.1']]);
    const lookahead = await as(app, w.owner, 'POST', path, {
      ...base,
      trigger_type: 'regex',
      trigger: { patterns: ['(?=x)'] },
    });
    expect(Object.keys(lookahead.body.errors)).toEqual(['trigger.patterns.0']);
    const missing = await as(app, w.owner, 'POST', path, { ...base, trigger_type: 'spam', trigger: {} });
    expect(Object.keys(missing.body.errors).sort()).toEqual([
      'trigger.max_messages',
      'trigger.window_seconds',
    ]);
    const elsewhere = await makeWorld(app);
    const badRefs = await as(app, w.owner, 'POST', path, {
      ...base,
      actions: [{ type: 'alert', channel_id: elsewhere.channelId }],
      exempt_roles: ['123456789'],
      exempt_channels: [elsewhere.channelId],
    });
    expect(Object.keys(badRefs.body.errors).sort()).toEqual([
      'actions.0.channel_id',
      'exempt_channels.0',
      'exempt_roles.0',
    ]);
    const badAction = await as(app, w.owner, 'POST', path, { ...base, actions: [{ type: 'timeout' }] });
    expect(Object.keys(badAction.body.errors)).toEqual(['actions.0.duration_seconds']);

    const created = await as(app, w.owner, 'POST', path, base);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'x',
      enabled: true,
      trigger: { keywords: ['a'], allow_list: [] },
    });
    const rulePath = `${path}/${created.body.id}`;
    const badPatch = await as(app, w.owner, 'PATCH', rulePath, { trigger: { keywords: [] } });
    expect(Object.keys(badPatch.body.errors)).toEqual(['trigger.keywords']);
    const patched = await as(app, w.owner, 'PATCH', rulePath, {
      trigger: { keywords: ['b'] },
      enabled: false,
    });
    expect(patched.body).toMatchObject({ enabled: false, trigger: { keywords: ['b'] } });
    expect((await as(app, w.owner, 'GET', path)).body).toHaveLength(1);
    expect((await as(app, w.owner, 'DELETE', rulePath)).status).toBe(204);
    expect((await as(app, w.owner, 'DELETE', rulePath)).status).toBe(404);
    const audit = await as(app, w.owner, 'GET', `/servers/${w.serverId}/audit-logs`);
    const actions = (audit.body as { action: string }[]).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['automod_rule_create', 'automod_rule_update', 'automod_rule_delete']),
    );
  });
});

describe('screening', () => {
  it('blocks keywords (wildcards, whole words, any case) so the message is never stored; edits too', async () => {
    const { w, alice, rule } = await serverWithRule({
      trigger_type: 'keyword',
      trigger: { keywords: ['bad*', 'evil'], allow_list: ['badminton'] },
    });
    expectBlocked(await send(alice, w.channelId, 'such BADNESS here'));
    expectBlocked(await send(alice, w.channelId, 'pure evil.'));
    expect((await send(alice, w.channelId, 'medieval times')).status).toBe(200);
    expect((await send(alice, w.channelId, 'badminton anyone?')).status).toBe(200);
    // Every match meets the allow list: an allowed word first does not let a later one through.
    expectBlocked(await send(alice, w.channelId, 'badminton badword'));
    expectBlocked(await send(alice, w.channelId, 'badminton, badminton and evil'));
    expect((await send(alice, w.channelId, 'badminton badminton')).status).toBe(200);
    const ok = await send(alice, w.channelId, 'fine');
    const edit = await as(app, alice, 'PATCH', `/channels/${w.channelId}/messages/${ok.body.id}`, {
      content: 'now evil',
    });
    expectBlocked(edit);
    expect(edit.body.rule_id).toBe(rule.id);
    expect((await history(w)).map((m) => m.content).sort()).toEqual([
      'badminton anyone?',
      'badminton badminton',
      'fine',
      'medieval times',
    ]);
  });

  it('runs regex rules in linear time: a catastrophic pattern cannot stall the worker', async () => {
    const { w, alice } = await serverWithRule({ trigger_type: 'regex', trigger: { patterns: ['^(a+)+$'] } });
    // Exponential for a backtracking engine; RE2 answers at once.
    expect((await send(alice, w.channelId, `${'a'.repeat(3000)}!`)).status).toBe(200);
    expectBlocked(await send(alice, w.channelId, 'aaaa'));
  });

  it('blocks mention spam over the limit', async () => {
    const { w, alice } = await serverWithRule({
      trigger_type: 'mention_spam',
      trigger: { mention_limit: 2 },
    });
    const [a, b, c] = [
      await member(app, w.serverId),
      await member(app, w.serverId),
      await member(app, w.serverId),
    ];
    expect((await send(alice, w.channelId, `<@${a.id}> <@${b.id}>`)).status).toBe(200);
    expectBlocked(await send(alice, w.channelId, `<@${a.id}> <@${b.id}> <@${c.id}>`));
  });

  it('takes Discord’s names for the trigger settings (trigger_metadata, keyword_filter, ...)', async () => {
    const { w, alice, rule } = await serverWithRule({
      trigger_type: 'keyword',
      trigger_metadata: { keyword_filter: ['forbidden'] },
    });
    expect(rule).toMatchObject({ trigger: { keywords: ['forbidden'] } });
    expectBlocked(await send(alice, w.channelId, 'a forbidden word'));
    const rulePath = `/servers/${w.serverId}/automod/rules/${rule.id}`;
    const patched = await as(app, w.owner, 'PATCH', rulePath, {
      trigger_metadata: { keyword_filter: ['other'] },
    });
    expect([patched.status, patched.body.trigger.keywords]).toEqual([200, ['other']]);
    expect((await send(alice, w.channelId, 'a forbidden word')).status).toBe(200);
    const regex = await serverWithRule({
      trigger_type: 'regex',
      trigger_metadata: { regex_patterns: ['^x+$'] },
    });
    expect(regex.rule).toMatchObject({ trigger: { patterns: ['^x+$'] } });
    const mentions = await serverWithRule({
      trigger_type: 'mention_spam',
      trigger_metadata: { mention_total_limit: 3 },
    });
    expect(mentions.rule).toMatchObject({ trigger: { mention_limit: 3 } });
  });

  it('takes API.md’s spelling "mention-spam" for the mention_spam trigger', async () => {
    const { w, alice, rule } = await serverWithRule({
      trigger_type: 'mention-spam',
      trigger: { mention_limit: 1 },
    });
    expect(rule).toMatchObject({ trigger_type: 'mention_spam', trigger: { mention_limit: 1 } });
    const [a, b] = [await member(app, w.serverId), await member(app, w.serverId)];
    expectBlocked(await send(alice, w.channelId, `<@${a.id}> <@${b.id}>`));
  });

  it('filters links outside the allowlist, and invites', async () => {
    const { w, alice } = await serverWithRule({
      trigger_type: 'link',
      trigger: { allowed_domains: ['example.com'] },
    });
    expect((await send(alice, w.channelId, 'see https://docs.example.com/page')).status).toBe(200);
    expectBlocked(await send(alice, w.channelId, 'see <https://evil.test/x>'));
    const invites = await serverWithRule({ trigger_type: 'link', trigger: { invites_only: true } });
    expect((await send(invites.alice, invites.w.channelId, 'https://other.test/x')).status).toBe(200);
    expectBlocked(await send(invites.alice, invites.w.channelId, 'join discord.gg/abcdef'));
    expectBlocked(await send(invites.alice, invites.w.channelId, 'join https://chat.test/invite/XyZ123'));
  });

  it('alerts a moderation channel about message-rate spam without blocking', async () => {
    const w = await makeWorld(app);
    const alice = await member(app, w.serverId);
    const modChannel = await addChannel(app, w, 'mod-log');
    const created = await as(app, w.owner, 'POST', `/servers/${w.serverId}/automod/rules`, {
      name: 'rule',
      trigger_type: 'spam',
      trigger: { max_messages: 2, window_seconds: 60 },
      actions: [{ type: 'alert', channel_id: modChannel }],
    });
    expect(created.status).toBe(201);
    for (const text of ['one', 'two', 'three'])
      expect((await send(alice, w.channelId, text)).status).toBe(200);
    const alerts = await alertsIn(w, modChannel);
    expect(alerts[0]?.content).toMatch(/AutoMod rule "rule" \(spam\) flagged a message by <@\d+>/);
    expect(alerts[0]?.content).toContain('three');
    // Posted by the system, not as if the offender had written it.
    expect(alerts[0]?.author_id).toBe(SYSTEM_USER_ID);
    const author = await as(app, w.owner, 'GET', `/users/${SYSTEM_USER_ID}`);
    expect(author.body).toMatchObject({ id: SYSTEM_USER_ID, username: 'Plexichat-System' });
  });

  it('quotes the message only when everyone who sees the alert channel sees its channel', async () => {
    const w = await makeWorld(app);
    const alice = await member(app, w.serverId);
    const bob = await member(app, w.serverId);
    const modLog = await addChannel(app, w, 'mod-log');
    const staff = await addChannel(app, w, 'staff');
    await denyIn(app, w, staff, bob, Permission.VIEW_CHANNEL);
    const created = await as(app, w.owner, 'POST', `/servers/${w.serverId}/automod/rules`, {
      name: 'rule',
      trigger_type: 'keyword',
      trigger: { keywords: ['secret*'] },
      actions: [{ type: 'alert', channel_id: modLog }],
    });
    expect(created.status).toBe(201);
    expect((await send(alice, staff, 'the secretive plan is here')).status).toBe(200);
    const [hidden] = await alertsIn(w, modLog);
    expect(hidden?.content).toMatch(/flagged a message by <@\d+> in <#\d+>\. Not quoted/);
    expect(hidden?.content).not.toMatch(/secretive|plan/);
    // Bob sees the alert channel, so he sees only that.
    const seen = await as(app, bob, 'GET', `/channels/${modLog}/messages`);
    expect(JSON.stringify(seen.body)).not.toMatch(/secretive|plan/);

    expect((await send(alice, w.channelId, 'a secretive picnic')).status).toBe(200);
    const [, quoted] = await alertsIn(w, modLog, 2);
    expect(quoted?.content).toContain('(secretive):\n> a secretive picnic');
  });

  it('times the sender out', async () => {
    const { w, alice } = await serverWithRule({
      trigger_type: 'keyword',
      trigger: { keywords: ['spoiler'] },
      actions: [{ type: 'timeout', duration_seconds: 600 }],
    });
    expect((await send(alice, w.channelId, 'spoiler: he dies')).status).toBe(200);
    const got = await as(app, w.owner, 'GET', `/servers/${w.serverId}/members/${alice.id}`);
    expect(got.body.communication_disabled_until).toBeGreaterThan(Date.now() / 1000 + 500);
    expect((await send(alice, w.channelId, 'hello?')).status).toBe(403);
  });

  it('times out only members ranked below the rule’s creator', async () => {
    const w = await makeWorld(app);
    const modRole = await makeRole(app, w.serverId, { position: 2, permissions: Permission.MANAGE_SERVER });
    const mod = await member(app, w.serverId, [modRole.id]);
    const senior = await member(app, w.serverId, [(await makeRole(app, w.serverId, { position: 3 })).id]);
    const alice = await member(app, w.serverId);
    const created = await as(app, mod, 'POST', `/servers/${w.serverId}/automod/rules`, {
      name: 'rule',
      trigger_type: 'keyword',
      trigger: { keywords: ['spoiler'] },
      actions: [{ type: 'timeout', duration_seconds: 600 }],
    });
    expect(created.status).toBe(201);
    expect((await send(senior, w.channelId, 'spoiler: he dies')).status).toBe(200);
    expect((await send(alice, w.channelId, 'spoiler: she lives')).status).toBe(200);
    const timeoutOf = async (who: Person) =>
      (await as(app, w.owner, 'GET', `/servers/${w.serverId}/members/${who.id}`)).body
        .communication_disabled_until as number | null;
    expect(await timeoutOf(senior)).toBeNull();
    expect(await timeoutOf(alice)).toBeGreaterThan(Date.now() / 1000 + 500);
    expect((await send(senior, w.channelId, 'still here')).status).toBe(200);
  });

  it('leaves exempt roles, exempt channels (and their threads), managers and disabled rules alone', async () => {
    const { w, alice, rule } = await serverWithRule({
      trigger_type: 'keyword',
      trigger: { keywords: ['nope'] },
    });
    const trusted = await makeRole(app, w.serverId, { position: 1 });
    const manager = await makeRole(app, w.serverId, { position: 2, permissions: Permission.MANAGE_SERVER });
    const free = await addChannel(app, w, 'free');
    const rulePath = `/servers/${w.serverId}/automod/rules/${rule.id}`;
    expect(
      (await as(app, w.owner, 'PATCH', rulePath, { exempt_roles: [trusted.id], exempt_channels: [free] }))
        .status,
    ).toBe(200);
    const vip = await member(app, w.serverId, [trusted.id]);
    const boss = await member(app, w.serverId, [manager.id]);
    expect((await send(vip, w.channelId, 'nope')).status).toBe(200);
    expect((await send(boss, w.channelId, 'nope')).status).toBe(200);
    expect((await send(alice, free, 'nope')).status).toBe(200);
    expectBlocked(await send(alice, w.channelId, 'nope'));
    expect((await as(app, w.owner, 'PATCH', rulePath, { enabled: false })).status).toBe(200);
    expect((await send(alice, w.channelId, 'nope')).status).toBe(200);
  });
});
