import { describe, expect, it } from '@jest/globals';
import { escapeHtml, html } from '../../lib/dashboard/dashboard-html.js';

describe('the dashboard HTML template', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const hostile = `<script>alert(1)</script>"'&`;
    const out = html`<td title="${hostile}">${hostile}</td>`.value;
    expect(out).toBe(
      '<td title="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</td>',
    );
    expect(escapeHtml('<script>')).toBe('&lt;script&gt;');
  });

  it('keeps nested templates, joins arrays and writes nothing for undefined, null and false', () => {
    const rows = ['<a>', 'b'].map((value) => html`<li>${value}</li>`);
    expect(
      html`<ul>
        ${rows}${undefined}${null}${false}${0}
      </ul>`.value.replace(/\s+/g, ''),
    ).toBe('<ul><li>&lt;a&gt;</li><li>b</li>0</ul>');
  });
});
