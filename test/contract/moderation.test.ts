/**
 * The contract sweep of reports, automod, the admin routes, push subscriptions and the notification
 * stream. See harness.ts for what the sweep is and how to run it against another instance.
 */
import crypto from 'node:crypto';
import { ownerAndMember, send } from './fixtures.js';
import { adminToken, call, eventually, formatsEverywhere, startedHere, sweep } from './harness.js';
import { idsOf, type Json, listIn } from './shapes.js';

// Bodies are the checker's `Json` (harness.ts), read field by field: lambdas picking a field return `any`.
/* eslint-disable @typescript-eslint/no-unsafe-return */

describe('moderation, admin, push, notifications', () => {
  sweep('reports, automod, admin 403 for non-admins', 60_000, async (s) => {
    const { owner, m, server, general } = await ownerAndMember(s);
    const target = (await send(owner, general.id, { content: 'report me' })).body;
    const report = await call('POST', '/reports', m, {
      target_type: 'message',
      target_id: target.id,
      reason: 'rude',
    });
    s.status(report, 201, 'POST /reports');
    s.created(report.body, 'report');
    s.invalid(
      await call('POST', '/reports', m, { target_type: 'server', reason: '' }),
      'bad report',
      'target_type',
      'target_id',
      'reason',
    );
    const userReport = await call('POST', '/reports', m, {
      target_type: 'user',
      target_id: owner.id,
      reason: 'spam',
    });
    s.status(userReport, 201, 'report a user');
    const triage = await call('GET', `/servers/${server.id}/reports`, owner);
    s.status(triage, 200, 'GET server reports');
    s.ok(
      (triage.body as Json[])?.some((r) => r.id === report.body?.id),
      'the report is listed for moderators',
    );
    s.error(
      await call('GET', `/servers/${server.id}/reports`, m),
      403,
      'a member without moderation reads reports',
    );
    const patched = await call('PATCH', `/servers/${server.id}/reports/${report.body?.id}`, owner, {
      status: 'resolved',
    });
    s.status(patched, 200, 'PATCH server report');
    s.eq(patched.body?.status, 'resolved', 'report status');

    const rule = await call('POST', `/servers/${server.id}/automod/rules`, owner, {
      name: 'no bananas',
      trigger_type: 'keyword',
      trigger: { keywords: ['banana'] },
      actions: [{ type: 'block' }],
    });
    s.status(rule, 201, 'POST automod rule');
    s.snowflake(rule.body?.id, 'rule.id');
    const rules = await call('GET', `/servers/${server.id}/automod/rules`, owner);
    s.eq(idsOf(rules.body), [rule.body?.id], 'GET automod rules');
    const blocked = await send(m, general.id, { content: 'I like banana' });
    s.error(blocked, 400, 'a message an automod rule blocks');
    s.ok(
      blocked.status !== 400 ||
        JSON.stringify(blocked.body).includes(rule.body?.id) ||
        JSON.stringify(blocked.body).includes('no bananas'),
      'the automod refusal names the rule',
    );
    const mention = await call('POST', `/servers/${server.id}/automod/rules`, owner, {
      name: 'mentions',
      trigger_type: 'mention-spam',
      trigger: { mention_limit: 5 },
      actions: [{ type: 'block' }],
    });
    s.status(mention, 201, 'automod mention-spam rule');
    const off = await call('PATCH', `/servers/${server.id}/automod/rules/${rule.body?.id}`, owner, {
      enabled: false,
    });
    s.status(off, 200, 'PATCH automod rule');
    s.eq(off.body?.enabled, false, 'rule disabled');
    s.ok(
      (await send(m, general.id, { content: 'banana again' })).status < 300,
      'a disabled rule blocks nothing',
    );
    s.status(
      await call('DELETE', `/servers/${server.id}/automod/rules/${rule.body?.id}`, owner),
      204,
      'DELETE automod rule',
    );
    s.error(await call('GET', `/servers/${server.id}/automod/rules`, m), 403, 'a member reads automod rules');

    for (const path of ['/admin/security-events', '/admin/ip-rules', '/admin/stats', '/admin/queues']) {
      const res = await call('GET', path, m);
      s.error(res, 403, `GET ${path} by a non-admin`);
    }
    s.error(
      await call('PUT', '/admin/ip-rules', m, { rules: [] }),
      403,
      'PUT /admin/ip-rules by a non-admin',
    );
    s.error(await call('GET', '/admin/stats'), 401, 'GET /admin/stats anonymous');
    // An instance admin (granted as `cli admin grant` does).
    const token = await adminToken(owner);
    if (token) {
      const admin = { token };
      const events = await call('GET', '/admin/security-events', admin);
      s.status(events, 200, 'GET /admin/security-events as admin');
      const ev = listIn(events.body, 'events');
      s.ok(Array.isArray(ev), 'security events list');
      for (const e of (ev ?? []).slice(0, 3)) s.created(e, 'security event');
      const stats = await call('GET', '/admin/stats', admin);
      s.status(stats, 200, 'GET /admin/stats as admin');
      for (const key of ['users', 'servers', 'messages'])
        s.ok(JSON.stringify(stats.body).includes(`"${key}"`), `admin stats lacks ${key}`);
      const ipRules = await call('GET', '/admin/ip-rules', admin);
      s.status(ipRules, 200, 'GET /admin/ip-rules as admin');
      // PUT replaces the instance's rules: only on an instance the sweep started itself.
      if (startedHere) {
        s.error(
          await call('PUT', '/admin/ip-rules', admin, { rules: [{ cidr: 'not-a-cidr', action: 'deny' }] }),
          400,
          'a bad CIDR',
        );
        const putRules = await call('PUT', '/admin/ip-rules', admin, {
          rules: [{ cidr: '203.0.113.0/24', action: 'deny' }],
        });
        s.status(putRules, 200, 'PUT /admin/ip-rules as admin');
        await call('PUT', '/admin/ip-rules', admin, { rules: [] });
      }
      s.status(await call('GET', '/admin/queues', admin), 200, 'GET /admin/queues as admin');
    }
  });

  sweep('push subscriptions and the notification stream', async (s) => {
    const { owner, m, general } = await ownerAndMember(s);
    const ecdh = crypto.createECDH('prime256v1');
    ecdh.generateKeys();
    const sub = {
      // Never contacted: the subscription is gone before anything is pushed.
      endpoint: `https://push.example.test/send/${crypto.randomBytes(6).toString('hex')}`,
      keys: {
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: crypto.randomBytes(16).toString('base64url'),
      },
    };
    const created = await call('POST', '/users/@me/push-subscriptions', m, sub);
    s.ok(
      created.status === 201 || created.status === 200,
      `POST push subscription: ${created.status} ${JSON.stringify(created.body)}`,
    );
    s.invalid(
      await call('POST', '/users/@me/push-subscriptions', m, { endpoint: 'nope', keys: {} }),
      'a bad subscription',
      'endpoint',
    );
    s.status(await call('DELETE', '/users/@me/push-subscriptions', m, sub), 204, 'DELETE push subscription');

    const mention = (await send(owner, general.id, { content: `hey <@${m.id}>` })).body;
    const reply = (
      await send(owner, general.id, {
        content: 'replying',
        reply_to: (await send(m, general.id, { content: 'mine' })).body.id,
      })
    ).body;
    const stream = await eventually(async () => {
      const res = await call('GET', '/users/@me/notifications', m);
      const list = listIn(res.body, 'notifications');
      return list && list.length >= 2 ? list : undefined;
    }, 5000);
    s.ok(stream, 'mention and reply notifications listed');
    for (const n of stream ?? []) {
      s.created(n, 'notification');
      s.ok(
        'read' in n || 'read_at' in n || 'acked' in n,
        `notification lacks read state: ${JSON.stringify(n)}`,
      );
    }
    const msgIds = (stream ?? []).map((n) => n.message_id ?? n.message?.id);
    s.ok(
      msgIds.includes(mention?.id) && msgIds.includes(reply?.id),
      `notifications name the messages: ${JSON.stringify(stream)?.slice(0, 300)}`,
    );
  });
});

formatsEverywhere(15);
