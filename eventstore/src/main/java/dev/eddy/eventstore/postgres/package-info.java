/**
 * The PostgreSQL backend on the Vert.x reactive client: the schema migrates itself; appends to a log are
 * group-committed, each group one transaction that serialises on its log's row, so readers never skip a record
 * that commits late.
 */
package dev.eddy.eventstore.postgres;
