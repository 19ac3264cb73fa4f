# plot.gp: convergence time against node count, from the data file
# bench/bench-system writes (docs/performance.md). Columns: nodes,
# hvpolicy full push (ms), hvpolicy value change (ms), goal (ms), Ansible
# at forks 5 (ms), Ansible at forks = nodes (ms); NaN where not measured.
#
# gnuplot -e "datafile='convergence.dat'; outfile='convergence.png'" plot.gp
if (!exists("datafile")) datafile = 'convergence.dat'
if (!exists("outfile")) outfile = 'convergence.png'

set terminal pngcairo size 1000,560 enhanced font ",10"
set output outfile
set title "hvpolicy: apply -> every node converged (Ansible: the same push)"
set xlabel "nodes (8, 64: real node daemons; 1000: hvpolicy-loadnode)"
set ylabel "time (ms)"
set format y "%g"
set logscale xy
set xrange [5:1600]
set xtics (8, 64, 1000)
set grid
set key outside right top
set yrange [10:*]
set datafile missing "NaN"

plot datafile using 1:2 with linespoints lw 2 pt 7 title "hvpolicy, full push", \
     datafile using 1:3 with linespoints lw 2 pt 5 title "hvpolicy, value change", \
     datafile using 1:4 with points pt 2 ps 2 lc rgb "red" title "goal", \
     datafile using 1:5 with linespoints lw 2 pt 9 dt 2 title "Ansible, forks 5", \
     datafile using 1:6 with linespoints lw 2 pt 11 dt 2 title "Ansible, forks = nodes"
