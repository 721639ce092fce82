CREATE TABLE "app_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"msp_enabled" boolean DEFAULT false NOT NULL,
	"secret_key_check" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attachments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"message_row_id" uuid NOT NULL,
	"ticket_id" uuid,
	"filename" text,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"content_id" text,
	"inline" boolean DEFAULT false NOT NULL,
	"storage_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attachments_storage_key_unique" UNIQUE("storage_key")
);
--> statement-breakpoint
CREATE TABLE "auth_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "auth_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "categories" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "companies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "companies_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "config_audit" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" uuid,
	"entity_type" text NOT NULL,
	"entity_id" text,
	"action" text NOT NULL,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "email_audit" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigserial NOT NULL,
	"at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"server_id" uuid,
	"message_row_id" uuid,
	"message_id" text,
	"from_address" text,
	"subject" text,
	"outcome" text NOT NULL,
	"reason" text,
	"ticket_id" uuid,
	CONSTRAINT "email_audit_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
CREATE TABLE "email_preference" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"email_to_ticket" boolean DEFAULT true NOT NULL,
	"duplicate_window_minutes" integer DEFAULT 60 NOT NULL,
	"max_message_bytes" integer DEFAULT 26214400 NOT NULL,
	"per_sender_hourly_cap" integer DEFAULT 20 NOT NULL,
	"quarantine_retention_days" integer DEFAULT 30 NOT NULL,
	"max_attachment_bytes" integer DEFAULT 20971520 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incoming_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"position" integer NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"match" text DEFAULT 'ALL' NOT NULL,
	"conditions" jsonb NOT NULL,
	"actions" jsonb NOT NULL,
	"stop_processing" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incoming_servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"protocol" text NOT NULL,
	"provider" text NOT NULL,
	"host" text,
	"port" integer,
	"security" text,
	"auth_type" text,
	"username" text,
	"password_sealed" text,
	"oauth" jsonb,
	"oauth_secrets_sealed" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"primary" boolean DEFAULT false NOT NULL,
	"real_time_scanning" boolean DEFAULT false NOT NULL,
	"allow_self_signed_certificate" boolean DEFAULT false NOT NULL,
	"poll_interval_seconds" integer DEFAULT 120 NOT NULL,
	"technician_group_id" uuid,
	"category_id" uuid,
	"company_id" uuid,
	"proxy_server_id" uuid,
	"outgoing_server_id" uuid,
	"pop3_delete_after_save" boolean DEFAULT true NOT NULL,
	"after_processing" text DEFAULT 'MARK_READ' NOT NULL,
	"move_to_folder" text,
	"ews_url" text,
	"needs_reconfiguration" boolean DEFAULT false NOT NULL,
	"oauth_client_secret_expires_at" timestamp with time zone,
	"filter_type" text,
	"filter_emails" text[] DEFAULT '{}'::text[] NOT NULL,
	"filter_domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"filter_keywords" text[] DEFAULT '{}'::text[] NOT NULL,
	"credentials_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mailbox_checkpoints" (
	"server_id" uuid NOT NULL,
	"folder" text NOT NULL,
	"uid_validity" bigint,
	"last_uid" bigint DEFAULT 0 NOT NULL,
	"baseline_uid" bigint DEFAULT 0 NOT NULL,
	"cursor" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mailbox_checkpoints_server_id_folder_pk" PRIMARY KEY("server_id","folder")
);
--> statement-breakpoint
CREATE TABLE "mailbox_leases" (
	"server_id" uuid PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid,
	"source_key" text NOT NULL,
	"ticket_id" uuid,
	"direction" text DEFAULT 'INBOUND' NOT NULL,
	"message_id" text,
	"in_reply_to" text,
	"references" text[] DEFAULT '{}'::text[] NOT NULL,
	"to_addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"cc_addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"content_hash" text NOT NULL,
	"from_address" text,
	"from_name" text,
	"subject" text,
	"body_text" text,
	"body_html" text,
	"sent_at" timestamp with time zone,
	"received_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"raw_size" integer NOT NULL,
	"raw" "bytea" NOT NULL,
	CONSTRAINT "messages_source_key_unique" UNIQUE("source_key")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"server_id" uuid,
	"count" integer DEFAULT 1 NOT NULL,
	"read" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oauth_states" (
	"state" text PRIMARY KEY NOT NULL,
	"server_id" uuid NOT NULL,
	"user_id" uuid,
	"code_verifier_sealed" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"return_to" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "outbound_mail" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ticket_id" uuid,
	"outgoing_server_id" uuid,
	"kind" text NOT NULL,
	"to_address" text NOT NULL,
	"subject" text NOT NULL,
	"message_id" text NOT NULL,
	"raw" "bytea",
	"status" text DEFAULT 'PENDING' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbound_mail_message_id_unique" UNIQUE("message_id")
);
--> statement-breakpoint
CREATE TABLE "outgoing_servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"security" text NOT NULL,
	"auth_type" text DEFAULT 'BASIC' NOT NULL,
	"username" text,
	"password_sealed" text,
	"from_address" text NOT NULL,
	"from_name" text,
	"allow_self_signed_certificate" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"primary" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "proxy_servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"username" text,
	"password_sealed" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"message_row_id" uuid NOT NULL,
	"server_id" uuid,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolution" text,
	"resolved_by_user_id" uuid
);
--> statement-breakpoint
CREATE TABLE "requesters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "roles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"permissions" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "roles_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "server_health" (
	"server_id" uuid PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'UNKNOWN' NOT NULL,
	"connection_state" text DEFAULT 'connecting' NOT NULL,
	"last_sync_at" timestamp with time zone,
	"inbound_queue_count" integer DEFAULT 0 NOT NULL,
	"last_error_message" text,
	"last_error_kind" text,
	"last_error_at" timestamp with time zone,
	"oldest_waiting_at" timestamp with time zone,
	"down_since" timestamp with time zone,
	"outage_notified_at" timestamp with time zone,
	"flap_count" integer DEFAULT 0 NOT NULL,
	"consecutive_auth_failures" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "technician_group_members" (
	"group_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	CONSTRAINT "technician_group_members_group_id_user_id_pk" PRIMARY KEY("group_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "technician_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticket_participants" (
	"ticket_id" uuid NOT NULL,
	"email" text NOT NULL,
	CONSTRAINT "ticket_participants_ticket_id_email_pk" PRIMARY KEY("ticket_id","email")
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" serial NOT NULL,
	"subject" text NOT NULL,
	"description" text NOT NULL,
	"description_html" text,
	"status" text DEFAULT 'OPEN' NOT NULL,
	"requester_id" uuid NOT NULL,
	"technician_group_id" uuid,
	"category_id" uuid,
	"company_id" uuid,
	"incoming_server_id" uuid,
	"request_type" text,
	"priority" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tickets_number_unique" UNIQUE("number")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"is_super_admin" boolean DEFAULT false NOT NULL,
	"role_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_message_row_id_messages_id_fk" FOREIGN KEY ("message_row_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "auth_tokens" ADD CONSTRAINT "auth_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "config_audit" ADD CONSTRAINT "config_audit_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_audit" ADD CONSTRAINT "email_audit_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_audit" ADD CONSTRAINT "email_audit_message_row_id_messages_id_fk" FOREIGN KEY ("message_row_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_audit" ADD CONSTRAINT "email_audit_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_servers" ADD CONSTRAINT "incoming_servers_technician_group_id_technician_groups_id_fk" FOREIGN KEY ("technician_group_id") REFERENCES "public"."technician_groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_servers" ADD CONSTRAINT "incoming_servers_category_id_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."categories"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_servers" ADD CONSTRAINT "incoming_servers_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_servers" ADD CONSTRAINT "incoming_servers_proxy_server_id_proxy_servers_id_fk" FOREIGN KEY ("proxy_server_id") REFERENCES "public"."proxy_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_servers" ADD CONSTRAINT "incoming_servers_outgoing_server_id_outgoing_servers_id_fk" FOREIGN KEY ("outgoing_server_id") REFERENCES "public"."outgoing_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailbox_checkpoints" ADD CONSTRAINT "mailbox_checkpoints_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailbox_leases" ADD CONSTRAINT "mailbox_leases_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_mail" ADD CONSTRAINT "outbound_mail_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_mail" ADD CONSTRAINT "outbound_mail_outgoing_server_id_outgoing_servers_id_fk" FOREIGN KEY ("outgoing_server_id") REFERENCES "public"."outgoing_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_message_row_id_messages_id_fk" FOREIGN KEY ("message_row_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_resolved_by_user_id_users_id_fk" FOREIGN KEY ("resolved_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_health" ADD CONSTRAINT "server_health_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "technician_group_members" ADD CONSTRAINT "technician_group_members_group_id_technician_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."technician_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "technician_group_members" ADD CONSTRAINT "technician_group_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_participants" ADD CONSTRAINT "ticket_participants_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_requester_id_requesters_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."requesters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_technician_group_id_technician_groups_id_fk" FOREIGN KEY ("technician_group_id") REFERENCES "public"."technician_groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_category_id_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."categories"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_incoming_server_id_incoming_servers_id_fk" FOREIGN KEY ("incoming_server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "public"."roles"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attachments_message" ON "attachments" USING btree ("message_row_id");--> statement-breakpoint
CREATE INDEX "attachments_ticket" ON "attachments" USING btree ("ticket_id");--> statement-breakpoint
CREATE UNIQUE INDEX "categories_name_lower" ON "categories" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "config_audit_at" ON "config_audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "email_audit_at" ON "email_audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "email_audit_server_at" ON "email_audit" USING btree ("server_id","at");--> statement-breakpoint
CREATE INDEX "incoming_rules_position" ON "incoming_rules" USING btree ("position");--> statement-breakpoint
CREATE UNIQUE INDEX "incoming_servers_one_primary" ON "incoming_servers" USING btree ("primary") WHERE "incoming_servers"."primary";--> statement-breakpoint
CREATE INDEX "messages_ticket" ON "messages" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "messages_message_id" ON "messages" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "messages_hash_received" ON "messages" USING btree ("content_hash","received_at");--> statement-breakpoint
CREATE INDEX "messages_from_received" ON "messages" USING btree ("from_address","received_at");--> statement-breakpoint
CREATE INDEX "notifications_user" ON "notifications" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "outbound_mail_due" ON "outbound_mail" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE UNIQUE INDEX "outgoing_servers_one_primary" ON "outgoing_servers" USING btree ("primary") WHERE "outgoing_servers"."primary";--> statement-breakpoint
CREATE INDEX "quarantine_open" ON "quarantine" USING btree ("created_at") WHERE "quarantine"."resolved_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "requesters_email_lower" ON "requesters" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "technician_groups_name_lower" ON "technician_groups" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "ticket_participants_email" ON "ticket_participants" USING btree ("email");--> statement-breakpoint
CREATE INDEX "tickets_created_at" ON "tickets" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower" ON "users" USING btree (lower("email"));