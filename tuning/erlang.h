/*
 * erlang.h - the M/M/c queue (Erlang C): C servers (MTA jobs), Poisson
 * arrivals at LAMBDA per second, exponential service at MU per second per
 * server, offered load A = LAMBDA / MU erlangs.
 */
#ifndef MX_ERLANG_H
#define MX_ERLANG_H

/* erlang_b - blocking probability of C servers offered A erlangs (loss system). */
double erlang_b(int c, double a);

/*
 * erlang_c - probability that an arrival waits, P(W > 0); 1 when the
 * queue is unstable (A >= C).
 */
double erlang_c(int c, double a);

/* erlang_wq - mean wait in the queue, seconds; INFINITY when unstable. */
double erlang_wq(int c, double lambda, double mu);

/* erlang_lq - mean number waiting (Little: LAMBDA * Wq); INFINITY when unstable. */
double erlang_lq(int c, double lambda, double mu);

/*
 * erlang_wait_quantile - the wait not exceeded with probability Q
 * (0..1), seconds: P(W > t) = C * exp(-(C*MU - LAMBDA) t).
 */
double erlang_wait_quantile(int c, double lambda, double mu, double q);

/*
 * erlang_min_servers - the fewest servers (up to MAX) that keep the queue
 * stable and the mean wait at or below WQ_MAX seconds; -1 if none does.
 */
int erlang_min_servers(double lambda, double mu, double wq_max, int max);

#endif
