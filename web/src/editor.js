// The SQL editor: CodeMirror 6 with SQL highlighting, completion of the
// lake's table and column names, and Ctrl/Cmd-Enter to run.
import { autocompletion, closeBrackets, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { sql, StandardSQL } from '@codemirror/lang-sql';
import { defaultHighlightStyle, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorState, Prec } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';

// Colours readable on the dark background too.
const darkStyle = HighlightStyle.define([
  { tag: t.keyword, color: '#93c5fd', fontWeight: 'bold' },
  { tag: [t.string, t.special(t.string)], color: '#86efac' },
  { tag: [t.number, t.bool, t.null], color: '#fcd34d' },
  { tag: t.comment, color: '#9ca3af', fontStyle: 'italic' },
  { tag: [t.typeName, t.standard(t.name)], color: '#f9a8d4' },
]);

// schema: {"raw.prices": ["date", "ticker", ...], ...}
export function createEditor(parent, { doc = '', schema = {}, onRun, dark = false }) {
  const nested = {};
  for (const [name, cols] of Object.entries(schema)) {
    const [ns, table] = name.includes('.') ? [name.slice(0, name.lastIndexOf('.')), name.slice(name.lastIndexOf('.') + 1)] : ['', name];
    (nested[ns] ||= {})[table] = cols;
  }
  const runKeys = Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => { onRun(); return true; } }]));
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        runKeys, lineNumbers(), history(), drawSelection(), highlightActiveLine(), closeBrackets(),
        autocompletion(), sql({ dialect: StandardSQL, schema: nested, upperCaseKeywords: false }),
        syntaxHighlighting(dark ? darkStyle : defaultHighlightStyle),
        keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap]),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': 'SQL query' }),
      ],
    }),
  });
  return view;
}
