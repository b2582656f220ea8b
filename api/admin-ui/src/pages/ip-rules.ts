import { call, explain } from '../api.ts';
import { h, notice, replace, time } from '../dom.ts';

interface IpRule {
  id: string;
  cidr: string;
  action: 'allow' | 'deny';
  note: string | null;
  created_at: number;
}

type RuleInput = Pick<IpRule, 'cidr' | 'action' | 'note'>;

const input = (rule: RuleInput): RuleInput => ({ cidr: rule.cidr, action: rule.action, note: rule.note });

/**
 * IP rules: the list, a form adding a deny rule, a remove button per rule. The API replaces the
 * whole list at once (PUT), so each change sends the list as shown plus or minus one rule.
 */
export function renderIpRules(view: HTMLElement): void {
  const status = h('div', {});
  const body = h('tbody', {});
  let rules: IpRule[] = [];

  const show = (list: IpRule[]): void => {
    rules = list;
    replace(
      body,
      ...(list.length === 0
        ? [h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No rules: every address may connect.'))]
        : list.map((rule) =>
            h(
              'tr',
              { 'data-cidr': rule.cidr },
              h('td', {}, h('code', {}, rule.cidr)),
              h('td', {}, h('span', { class: `badge ${rule.action}` }, rule.action)),
              h('td', {}, rule.note ?? ''),
              h('td', {}, time(rule.created_at)),
              h(
                'td',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'secondary remove',
                    onclick: () => save(rules.filter((r) => r.id !== rule.id).map(input), 'Rule removed.'),
                  },
                  'Remove',
                ),
              ),
            ),
          )),
    );
  };
  const save = (next: RuleInput[], done: string): void => {
    call<IpRule[]>('PUT', '/admin/ip-rules', { body: { rules: next } })
      .then((list) => {
        show(list);
        replace(status, notice(done));
      })
      .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
  };

  const cidr = h('input', {
    id: 'rule-cidr',
    placeholder: '203.0.113.0/24 or 2001:db8::/32',
    required: true,
  });
  const note = h('input', { id: 'rule-note', placeholder: 'note (optional)', maxlength: '200' });
  const form = h(
    'form',
    {
      class: 'toolbar',
      onsubmit: (event) => {
        event.preventDefault();
        const added = { cidr: cidr.value.trim(), action: 'deny' as const, note: note.value.trim() || null };
        save([...rules.map(input), added], `Denied ${added.cidr}.`);
        cidr.value = '';
        note.value = '';
      },
    },
    cidr,
    note,
    h('button', { type: 'submit', id: 'rule-add' }, 'Add deny rule'),
  );
  replace(
    view,
    h('h1', {}, 'IP rules'),
    h(
      'p',
      { class: 'muted' },
      'Denied addresses get 403 on every route and at the gateway. Allow rules (managed through the API) turn the list into an allowlist.',
    ),
    form,
    status,
    h(
      'table',
      { id: 'ip-rules' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'CIDR'),
          h('th', {}, 'Action'),
          h('th', {}, 'Note'),
          h('th', {}, 'Added'),
          h('th', {}, ''),
        ),
      ),
      body,
    ),
  );
  call<IpRule[]>('GET', '/admin/ip-rules')
    .then(show)
    .catch((err: unknown) => replace(status, notice(explain(err), 'error')));
}
