#!/usr/bin/env zsh
# Prints the completions zsh offers for a command line, one per line.
# Usage: zsh-complete.zsh FPATH_DIR 'sessionctl --out'
# It runs an interactive zsh in a pseudo-terminal (zsh/zpty), loads compinit with the
# completion function from FPATH_DIR, types the line and a TAB, and reads back the matches
# that a compadd wrapper prints between two markers.
zmodload zsh/zpty || { print -u2 'zsh/zpty is missing'; exit 2 }
zpty session zsh -f -i
zpty -w session "PROMPT=''; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w session 'compadd () { local -a __m; builtin compadd -O __m "$@"; builtin compadd "$@"; local x; for x in $__m; do print -r -- "MATCH:$x"; done }'
zpty -w session '__begin () { print -r -- "BEGIN-MATCHES"; }; __end () { print -r -- "END-MATCHES"; }'
zpty -w session 'compprefuncs=(__begin); comppostfuncs=(__end); bindkey "^I" complete-word'
# The marker is computed so that the echo of the typed line cannot match it; after it,
# Enter is unbound, so nothing typed is ever run.
zpty -w session 'print -r -- READY-$((6*7)); bindkey "^M" undefined-key; bindkey "^J" undefined-key'
local line
while zpty -r session line; do [[ $line == *READY-42* ]] && break; done
zpty -w -n session "$2"$'\t'
local seen=0
while zpty -r -t session line || { sleep 0.05; zpty -r session line }; do
  line=${line//$'\r'/}
  if [[ $line == *BEGIN-MATCHES* ]]; then seen=1; continue; fi
  if [[ $line == *END-MATCHES* ]]; then break; fi
  (( seen )) && [[ $line == *MATCH:?* ]] && print -r -- "${line#*MATCH:}"
done
zpty -d session
