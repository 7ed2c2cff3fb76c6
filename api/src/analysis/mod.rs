//! Run-chart and SPC analysis of monitoring data: plain functions, no I/O.
