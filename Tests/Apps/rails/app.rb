# A one-file Rails 6.1 app with Devise and redis-actionpack (Debian's packages), as the
# sessionctl tests drive it.
#
# /login?user=NAME signs NAME in with Devise (creating the user), keeps the IP, user agent and
# login time in the session; /me answers 200 "user=<id>" while the session authenticates, else
# 401; /slow?ms=N is a request in flight: it reads the session, waits N ms, changes it, and the
# store writes it back as the response goes out. MappingWriter, outside the cookie jar, writes the mapping key once the store has
# committed the session: user:<id>:2::<sha256 of the cookie> -> session:2::<sha256>, the key
# redis-rack stores it under (Rack's private id).
require "rails"
require "active_record/railtie"
require "action_controller/railtie"
require "redis-actionpack"
require "devise"
require "digest"
require "cgi"
require "webrick"
require "rack/handler/webrick"

REDIS_PORT = Integer(ENV.fetch("REDIS_PORT"))
COOKIE = "_app_session"

ENV["DATABASE_URL"] = "sqlite3:" + File.join(ENV.fetch("APP_DIR"), "db.sqlite3")

class MappingWriter
  def initialize(app)
    @app = app
    @redis = Redis.new(host: "127.0.0.1", port: REDIS_PORT)
  end

  def call(env)
    status, headers, body = @app.call(env)
    user = env["warden"]&.user(scope: :user, run_callbacks: false)
    cookie = Array(headers["Set-Cookie"]).join("\n")[/#{COOKIE}=([^;\n]+)/, 1]
    if user && cookie
      private_id = "2::" + Digest::SHA256.hexdigest(CGI.unescape(cookie))
      @redis.set("user:#{user.id}:#{private_id}", "session:#{private_id}", ex: 3600)
    end
    [status, headers, body]
  end
end

class App < Rails::Application
  config.root = __dir__
  config.secret_key_base = "0" * 128
  config.eager_load = false
  config.logger = Logger.new($stderr)
  config.log_level = :warn
  config.hosts.clear
  config.session_store :redis_store, servers: ["redis://127.0.0.1:#{REDIS_PORT}/0/session"], expire_after: 3600, key: COOKIE
  # The session cookie is written by the cookie jar, outside the session store: read it there.
  config.middleware.insert_before ActionDispatch::Cookies, MappingWriter
end

Devise.setup do |c|
  require "devise/orm/active_record"
  c.secret_key = "1" * 128
  c.timeout_in = ActiveSupport::Duration.build(3600) # timeoutable keeps last_request_at in the session
end

class User < ActiveRecord::Base
  devise :database_authenticatable, :timeoutable
end

class SessionsController < ActionController::Base
  def create
    user = User.find_or_create_by!(email: "#{params[:user]}@example.test") { |u| u.password = "password-#{params[:user]}" }
    sign_in(user)
    session[:ip] = request.remote_ip
    session[:user_agent] = request.user_agent
    session[:created_at] = Time.now.to_i
    render plain: "user=#{user.id}"
  end

  def me
    if user_signed_in?
      render plain: "user=#{current_user.id}"
    else
      render plain: "anonymous", status: 401
    end
  end

  def slow
    signed_in = user_signed_in?
    sleep(Integer(params[:ms] || "1500") / 1000.0)
    session[:touched] = Time.now.to_f
    render plain: signed_in ? "user=#{current_user.id}" : "anonymous", status: signed_in ? 200 : 401
  end
end

# Appended routes are drawn when initialize! finalizes the routes, as a routes file would be;
# Devise then configures Warden for the :user scope (sessions hold [[id], salt], not the record).
App.routes.append do
  devise_for :users, skip: :all
  get "/login" => "sessions#create"
  get "/me" => "sessions#me"
  get "/slow" => "sessions#slow"
end
App.initialize!
# A one-file app finalizes its routes once before the appended ones are drawn, so Devise set
# Warden up with no scope: set it up again now that :user exists, as an app with a routes file has it.
Devise.class_variable_set(:@@warden_configured, nil)
Devise.configure_warden!
ActiveRecord::Migration.verbose = false
ActiveRecord::Schema.define do
  create_table :users, force: true do |t|
    t.string :email, null: false, default: ""
    t.string :encrypted_password, null: false, default: ""
  end
end

Rack::Handler::WEBrick.run(App, Host: "127.0.0.1", Port: Integer(ENV.fetch("PORT")),
                           Logger: WEBrick::Log.new($stderr, WEBrick::Log::WARN), AccessLog: [])
