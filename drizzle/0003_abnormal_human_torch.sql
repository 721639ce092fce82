ALTER TABLE "email_preference" ADD COLUMN "acknowledgment_subject" text;--> statement-breakpoint
ALTER TABLE "email_preference" ADD COLUMN "acknowledgment_body" text;