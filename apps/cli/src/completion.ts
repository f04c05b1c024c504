import { type Command, InvalidArgumentError } from 'commander';
import { examples } from './help.js';

/**
 * `tokenward completion <shell>`: a completion script for bash, zsh or fish, generated from
 * the command tree itself (commander has no completion of its own), so a new command or option
 * is completed without anyone editing a script.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionInfo {
  flags: string[];
  description: string;
  takesValue: boolean;
}

interface CommandInfo {
  /** Subcommand names joined by dots; '' for the program itself. */
  path: string;
  subcommands: Array<{ name: string; description: string }>;
  /** This command's own options (the program's are global). */
  options: OptionInfo[];
}

function optionsOf(cmd: Command): OptionInfo[] {
  return cmd.options
    .filter((o) => !o.hidden && o.long !== '--version')
    .map((o) => ({
      flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
      description: o.description,
      takesValue: o.required || o.optional,
    }));
}

/** Every command of the tree, the program first. */
export function commandTree(program: Command): CommandInfo[] {
  const out: CommandInfo[] = [];
  const visit = (cmd: Command, path: string) => {
    const subs = cmd.commands;
    out.push({
      path,
      subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })),
      options: optionsOf(cmd),
    });
    for (const sub of subs) visit(sub, path ? `${path}.${sub.name()}` : sub.name());
  };
  visit(program, '');
  return out;
}

const HELP: OptionInfo = { flags: ['-h', '--help'], description: 'display help', takesValue: false };

/** The first sentence of a description, for one completion line. */
function summary(text: string): string {
  return (text.split(/(?<=\.)\s/)[0] ?? '').replace(/\.$/, '').replace(/\s+/g, ' ').trim();
}

const shellWords = (words: string[]) => words.join(' ');

function bash(tree: CommandInfo[], name: string): string {
  const [root] = tree;
  const globals = [...(root?.options ?? []), HELP].flatMap((o) => o.flags);
  const cases = tree.map((c) => {
    const opts = c.path === '' ? globals : [...c.options.flatMap((o) => o.flags), ...globals];
    return `    '${c.path}') subs='${shellWords(c.subcommands.map((s) => s.name))}'; opts='${shellWords(opts)}' ;;`;
  });
  const fn = `_${name}_completion`;
  return `# bash completion for ${name}, generated from its command tree.
# Install: ${name} completion bash > ~/.local/share/bash-completion/completions/${name}
#      or: source <(${name} completion bash)   (in ~/.bashrc)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath='' next i w subs opts
  local known=' ${shellWords(tree.map((c) => c.path).filter(Boolean))} '
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    next="\${cmdpath:+$cmdpath.}$w"
    [[ "$known" == *" $next "* ]] && cmdpath="$next"
  done
  case "$cmdpath" in
${cases.join('\n')}
    *) subs=''; opts='' ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  fi
}
complete -o default -o bashdefault -F ${fn} ${name}
`;
}

/** A zsh single-quoted word: ' becomes '\'' . */
const zq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function zsh(tree: CommandInfo[], name: string): string {
  const [root] = tree;
  const globals = [...(root?.options ?? []), HELP];
  const cases = tree.map((c) => {
    const opts = c.path === '' ? globals : [...c.options, ...globals];
    const subs = c.subcommands.map((s) => zq(`${s.name}:${summary(s.description).replace(/:/g, '\\:')}`));
    const flags = opts.flatMap((o) =>
      o.flags.map((f) => zq(`${f}:${summary(o.description).replace(/:/g, '\\:')}`)),
    );
    return `    (${c.path === '' ? "''" : c.path}) subs=(${subs.join(' ')}); opts=(${flags.join(' ')}) ;;`;
  });
  return `#compdef ${name}
# zsh completion for ${name}, generated from its command tree.
# Install: ${name} completion zsh > "\${fpath[1]}/_${name}"   (then restart zsh)
#      or: source <(${name} completion zsh)   (in ~/.zshrc, after compinit)
_${name}() {
  local cmdpath='' next w i
  local -a subs opts
  local known=' ${shellWords(tree.map((c) => c.path).filter(Boolean))} '
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    next=\${cmdpath:+$cmdpath.}$w
    [[ $known == *" $next "* ]] && cmdpath=$next
  done
  case $cmdpath in
${cases.join('\n')}
  esac
  if [[ \${words[CURRENT]} == -* ]]; then
    _describe -t options option opts
  elif (( \${#subs} )); then
    _describe -t commands command subs
  else
    _files
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _${name} "$@"
else
  compdef _${name} ${name}
fi
`;
}

/** A fish single-quoted string. */
const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fish(tree: CommandInfo[], name: string): string {
  const fn = `__${name}_command_path`;
  const lines: string[] = [];
  const [root] = tree;
  for (const c of tree) {
    const when = fq(`test (${fn}) = '${c.path}'`);
    for (const s of c.subcommands) {
      lines.push(`complete -c ${name} -f -n ${when} -a ${fq(s.name)} -d ${fq(summary(s.description))}`);
    }
    if (c.path === '') continue;
    for (const o of c.options) lines.push(fishOption(name, o, when));
  }
  for (const o of [...(root?.options ?? []), HELP]) lines.push(fishOption(name, o, null));
  return `# fish completion for ${name}, generated from its command tree.
# Install: ${name} completion fish > ~/.config/fish/completions/${name}.fish
set -g __${name}_known ${tree
    .map((c) => c.path)
    .filter(Boolean)
    .map(fq)
    .join(' ')}
function ${fn}
  set -l cmdpath ''
  for w in (commandline -opc)[2..-1]
    string match -q -- '-*' $w; and continue
    set -l next (string join . -- $cmdpath $w | string trim -c .)
    contains -- $next $__${name}_known; and set cmdpath $next
  end
  echo $cmdpath
end
complete -c ${name} -f
${lines.join('\n')}
`;
}

function fishOption(name: string, o: OptionInfo, when: string | null): string {
  const parts = [`complete -c ${name}`];
  if (when) parts.push(`-n ${when}`);
  for (const f of o.flags) parts.push(f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);
  if (o.takesValue) parts.push('-r');
  parts.push(`-d ${fq(summary(o.description))}`);
  return parts.join(' ');
}

/** The completion script of a shell for the program's command tree. */
export function completionScript(program: Command, shell: Shell): string {
  const tree = commandTree(program);
  const name = program.name();
  return shell === 'bash' ? bash(tree, name) : shell === 'zsh' ? zsh(tree, name) : fish(tree, name);
}

function parseShell(value: string): Shell {
  if (!(SHELLS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`choose one of ${SHELLS.join(', ')}.`);
  }
  return value as Shell;
}

export function registerCompletion(program: Command): void {
  const completion = program
    .command('completion')
    .description(
      'Print a shell completion script (bash, zsh or fish) for every command and option. Load it from your shell profile.',
    )
    .argument('<shell>', SHELLS.join(', '), parseShell)
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
  examples(completion, [
    'tokenward completion bash > ~/.local/share/bash-completion/completions/tokenward',
    'source <(tokenward completion bash)   # or this line in ~/.bashrc',
    'tokenward completion zsh > ~/.zfunc/_tokenward   # with fpath+=(~/.zfunc) in ~/.zshrc',
    'tokenward completion fish > ~/.config/fish/completions/tokenward.fish',
  ]);
}
