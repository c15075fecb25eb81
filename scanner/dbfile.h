/*
 * dbfile.h - stdio without stream locks for the thread that loads a
 * signature database (see dbfile.c).
 */
#ifndef MX_SCANNER_DBFILE_H
#define MX_SCANNER_DBFILE_H

/* Streams the calling thread opens between begin and end are unlocked. */
void dbfile_loading_begin(void);
void dbfile_loading_end(void);

#endif
