/**
 * The Eddy server: its settings ({@link dev.eddy.api.EddyConfig}), the running server
 * ({@link dev.eddy.api.EddyServer}) and the command line ({@link dev.eddy.api.Main}).
 */
package dev.eddy.api;
