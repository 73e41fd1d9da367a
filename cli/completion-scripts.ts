/**
 * `kubectl virt completion bash|zsh`: the scripts that complete the `kubectl-virt` executable, as
 * `kubectl completion` does for kubectl. Both ask `kubectl-virt __complete WORDS...` (cobra's
 * protocol, cli/completion.ts), the same answer `kubectl virt <TAB>` gets through
 * kubectl_complete-virt: one completion path, VM names included. Pure.
 */

export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

// Directive bits, as cli/completion.ts sends them (cobra's ShellCompDirective).
const NO_SPACE = 2;
const NO_FILE_COMP = 4;

const BASH = `# bash completion for kubectl-virt; load with: source <(kubectl-virt completion bash)
_kubectl_virt() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out directive line
  local -a words=("\${COMP_WORDS[@]:1:COMP_CWORD}")
  [ \${#words[@]} -eq \${COMP_CWORD} ] || words+=("")
  out=$("\${COMP_WORDS[0]}" __complete "\${words[@]}" 2>/dev/null) || return
  directive=\${out##*:}
  COMPREPLY=()
  while IFS= read -r line; do
    case $line in :*) continue ;; esac
    line=\${line%%$'\\t'*}
    [ -n "$line" ] && COMPREPLY+=("$line")
  done <<<"$out"
  if (( directive & ${NO_SPACE} )); then compopt -o nospace 2>/dev/null; fi
  if (( \${#COMPREPLY[@]} == 0 )) && ! (( directive & ${NO_FILE_COMP} )); then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _kubectl_virt kubectl-virt
`;

const ZSH = `#compdef kubectl-virt
# zsh completion for kubectl-virt; load with: source <(kubectl-virt completion zsh)
_kubectl_virt() {
  local -a words_ candidates
  local out directive line value desc
  words_=("\${(@)words[2,CURRENT]}")
  out=$("\${words[1]}" __complete "\${words_[@]}" 2>/dev/null) || return 1
  directive=\${out##*:}
  for line in "\${(@f)out}"; do
    [[ $line == :* ]] && continue
    value=\${line%%$'\\t'*}
    desc=\${line#*$'\\t'}
    [[ $desc == "$line" ]] && desc=''
    candidates+=("\${value//:/\\\\:}\${desc:+:$desc}")
  done
  if (( \${#candidates} )); then
    if (( directive & ${NO_SPACE} )); then _describe 'kubectl-virt' candidates -S ''; else _describe 'kubectl-virt' candidates; fi
  elif ! (( directive & ${NO_FILE_COMP} )); then
    _files
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _kubectl_virt "$@"; else compdef _kubectl_virt kubectl-virt; fi
`;

export function completionScript(shell: CompletionShell): string {
  return shell === 'bash' ? BASH : ZSH;
}
