/*
 * NAME
 *	erlang - M/M/c queueing formulas
 * SUMMARY
 *	Erlang B by its stable recursion B(0) = 1, B(k) = A B(k-1) / (k +
 *	A B(k-1)); Erlang C from it, C = B / (1 - rho (1 - B)) with rho =
 *	A / c; then Wq = C / (c mu - lambda), Lq = lambda Wq and the wait
 *	distribution P(W > t) = C exp(-(c mu - lambda) t).  No factorials,
 *	so hundreds of servers do not overflow.
 */
#include "auto-config.h"

#include <math.h>

#include "tuning/erlang.h"

double erlang_b(int c, double a)
{
	double b = 1.0;
	int k;

	if (a <= 0)
		return 0.0;
	for (k = 1; k <= c; k++)
		b = a * b / ((double)k + a * b);
	return b;
}

double erlang_c(int c, double a)
{
	double b, rho;

	if (a <= 0)
		return 0.0;
	if (c < 1 || a >= (double)c)
		return 1.0;
	b = erlang_b(c, a);
	rho = a / (double)c;
	return b / (1.0 - rho * (1.0 - b));
}

double erlang_wq(int c, double lambda, double mu)
{
	if (lambda <= 0)
		return 0.0;
	if (mu <= 0 || c < 1 || lambda >= (double)c * mu)
		return INFINITY;
	return erlang_c(c, lambda / mu) / ((double)c * mu - lambda);
}

double erlang_lq(int c, double lambda, double mu)
{
	double wq = erlang_wq(c, lambda, mu);

	return isinf(wq) ? INFINITY : lambda * wq;
}

double erlang_wait_quantile(int c, double lambda, double mu, double q)
{
	double pw;

	if (lambda <= 0)
		return 0.0;
	if (mu <= 0 || c < 1 || lambda >= (double)c * mu)
		return INFINITY;
	pw = erlang_c(c, lambda / mu);
	/* P(W > t) = pw e^{-rt} = 1 - q  =>  t = ln(pw / (1 - q)) / r. */
	if (pw <= 1.0 - q)
		return 0.0;
	return log(pw / (1.0 - q)) / ((double)c * mu - lambda);
}

int erlang_min_servers(double lambda, double mu, double wq_max, int max)
{
	int c;

	for (c = 1; c <= max; c++)
		if (erlang_wq(c, lambda, mu) <= wq_max)
			return c;
	return -1;
}
