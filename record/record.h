/* SPDX-License-Identifier: MIT */
/*
 * wp-record: the on-CPU recorder. One state struct, options validated by
 * cmd_record(), then record__run() does the work; internals are record__*.
 */
#ifndef WP_RECORD_RECORD_H
#define WP_RECORD_RECORD_H

int cmd_record(int argc, char **argv);

#endif
