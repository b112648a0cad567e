# plots.gp - the benchmark plots, from the data `senti bench` writes (make benchmark):
#   gnuplot -c bench/plots.gp DIR [LABEL [FMT]]
#   (FMT png for PNG instead of SVG; DIR defaults to build/bench, LABEL to senti)
# writes DIR/latency.svg (distribution of single-prediction latency), DIR/threads.svg
# (throughput against threads) and DIR/length.svg (throughput against text length).
# The folder and the label are arguments, never pasted into gnuplot commands (-e "dir='...'"
# would run whatever a folder named with a quote says).
if (!exists("dir")) dir = "build/bench"
if (!exists("label")) label = "senti"
if (!exists("fmt")) fmt = "svg"
if (ARGC >= 1) dir = ARG1
if (ARGC >= 2) label = ARG2
if (ARGC >= 3) fmt = ARG3
if (fmt eq "png") { set terminal pngcairo size 900,560 enhanced font "sans,11" background "white" } \
else { set terminal svg size 900,560 dynamic enhanced font "sans,12" background "white" }
set grid lc rgb "#dddddd"
set key top left

# ---- latency distribution: histogram (log-spaced bins) and cumulative fraction ------------
set output dir."/latency.".fmt
set title label.": single-prediction latency (every call of every run)"
set logscale x 10
set xlabel "latency per call (µs, log scale)"
set ylabel "share of calls per bin (%)"
set y2label "calls at or below (%)"
set ytics nomirror
set y2tics
set y2range [0:100]
set yrange [0:*]
set style fill solid 0.6 noborder
plot dir."/latency_hist.dat" using (sqrt($1*$2)):($4*100):1:2:(0):($4*100) with boxxyerror \
       lc rgb "#4477aa" title "histogram", \
     dir."/latency_cdf.dat" using 1:($2*100) axes x1y2 with lines lw 2 lc rgb "#cc3311" title "cumulative"
unset y2label
unset y2tics
unset logscale x

# ---- throughput against threads -----------------------------------------------------------
set output dir."/threads.".fmt
set title label.": throughput against threads (senti\\_predict\\_batch; bars: worst..best run)"
set xlabel "threads"
set ylabel "texts per second"
set xtics 1
set yrange [0:*]
set xrange [0.5:*]
stats dir."/threads.dat" using 2 nooutput
one = STATS_max
stats dir."/threads.dat" every ::0::0 using 2 nooutput
one = STATS_max
plot dir."/threads.dat" using 1:2:4:2 with yerrorlines lw 2 pt 7 lc rgb "#4477aa" title "best (bars: worst..best)", \
     "" using 1:3 with linespoints lw 1 pt 6 lc rgb "#66ccee" title "median", \
     "" using 1:($1*one) with lines dt 2 lc rgb "#999999" title "linear scaling from 1 thread"
set xtics autofreq
set xrange [*:*]

# ---- throughput against text length -------------------------------------------------------
set output dir."/length.".fmt
set title label.": throughput against text length (1 thread)"
set logscale x 2
set logscale y 10
set xlabel "bytes per text (log scale)"
set ylabel "texts per second (log scale)"
set y2label "MB/s"
set ytics nomirror
set y2tics
set y2range [0:*]
set yrange [*:*]
set key top right
plot dir."/length.dat" using 1:2 with linespoints lw 2 pt 7 lc rgb "#4477aa" title "texts/s (best)", \
     "" using 1:4 axes x1y2 with linespoints lw 2 pt 5 lc rgb "#cc3311" title "MB/s (best)"
