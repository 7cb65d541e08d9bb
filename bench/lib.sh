# bench/lib.sh: helpers shared by bench/bench.sh and bench/encrypted.sh (sourced).

# cpu_ticks "PID..." -> utime+stime clock ticks summed over the processes.
cpu_ticks() { local p; for p in $1; do cat "/proc/$p/stat"; done | awk '{ t += $14 + $15 } END { print t }'; }
# status_kib FIELD "PID..." -> a /proc/PID/status field (VmRSS, VmHWM) summed, in KiB.
status_kib() { local p; for p in $2; do cat "/proc/$p/status"; done | awk -v f="$1:" '$1 == f { t += $2 } END { print t }'; }
# median: of the numbers on stdin, one per line.
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# ratio A B -> A/B with two decimals, "-" when either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
tck=$(getconf CLK_TCK)
