/**
 * The example vendor transport's implementation (kind {@code vendor-tcp}); nothing here is
 * exported: a transport bundle only provides a service, it offers no packages.
 */
package dev.lunar.examples.vendortcp.internal;
