# sshd-grep.sh, sourced by the bench scripts: the grep -E pattern that
# stands for the sshd filter's failures in issue 13's target ("sshd at
# least as fast as grep -E with a failure pattern over the same log"):
# the sshd messages its failregexes count, by their first words.
sshd_failure_pattern='sshd(-session)?\[[0-9]+\]: (Failed (password|publickey|keyboard-interactive/pam) for|Invalid user|Connection (closed|reset) by|Disconnected from (invalid|authenticating) user|error: maximum authentication|pam_unix\(sshd:auth\): authentication failure|banner exchange|Unable to negotiate)'
