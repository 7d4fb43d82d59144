/**
 * Projections: read models folded from streams by jq reducers, with their positions and state stored together
 * in the streams' backend so they are exactly-once with respect to the log. Built on the platform's published
 * interfaces only ({@code dev.eddy.platform}).
 */
package dev.eddy.projections;
