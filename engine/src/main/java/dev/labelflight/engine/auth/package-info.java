/**
 * Who a caller is, in plain Java for every transport: users and the PBKDF2 hashes of their API tokens
 * ({@link dev.labelflight.engine.auth.UserDirectory}, {@link dev.labelflight.engine.auth.SecretHash}), what a user
 * may do beyond the defaults ({@link dev.labelflight.engine.auth.Permission}), the bound on wrong credentials per
 * address, user and node ({@link dev.labelflight.engine.auth.AuthThrottle}), and the TLS files.
 */
package dev.labelflight.engine.auth;
