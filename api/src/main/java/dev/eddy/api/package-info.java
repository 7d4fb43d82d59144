/**
 * The Eddy server: its settings ({@link dev.eddy.api.EddyConfig}), the running server
 * ({@link dev.eddy.api.EddyServer}), the TLS port's certificate ({@link dev.eddy.api.TlsMaterial}) and the command
 * line ({@link dev.eddy.api.Main}).
 */
package dev.eddy.api;
