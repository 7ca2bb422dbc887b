/** The TCP transport's implementation; nothing here is exported. */
package dev.lunar.transport.tcp.internal;
